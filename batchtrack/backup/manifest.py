"""The manifest written beside every backup: what it holds, and how to know it is the file that was written."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from batchtrack.audit.keys import PublicKey, SigningKey
from batchtrack.backup.errors import BackupRefused
from batchtrack.i18n.text import Text, _

CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    """Engine, time, schema revision, the audit chain in the backup, the backup file's SHA-256, and a signature."""

    engine: str
    created_at: str
    schema_revision: str | None
    audit_count: int
    audit_head_hash: str
    audit_chain_ok: bool
    audit_problem: str
    backup_file: str
    size_bytes: int
    sha256: str
    format: int = 2
    # The checkpoint written just before the backup, and the Ed25519 signature of the manifest (base64) by the
    # checkpoint key `key_id`: a forged manifest (a truncated backup with a recomputed SHA-256) does not verify.
    checkpoint: int | None = None
    key_id: str | None = None
    signature: str | None = None


def signed_message(manifest: Manifest) -> bytes:
    """The bytes the manifest's signature covers: every field but the signature, as canonical ASCII JSON."""
    values = {name: value for name, value in asdict(manifest).items() if name != "signature"}
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def signed(manifest: Manifest, signer: SigningKey) -> Manifest:
    """The manifest with its signature by `signer`."""
    unsigned = replace(manifest, key_id=signer.public.id, signature=None)
    signature = base64.b64encode(signer.sign(signed_message(unsigned))).decode("ascii")
    return replace(unsigned, signature=signature)


def signature_problem(manifest: Manifest, known: Mapping[str, PublicKey]) -> Text | None:
    """Why the manifest's signature cannot be trusted (None when a known key verifies it)."""
    if manifest.signature is None or manifest.key_id is None:
        return _("the manifest is not signed")
    public = known.get(manifest.key_id)
    if public is None:
        return _("the manifest is signed by key {key}, which the checkpoint log does not hold", key=manifest.key_id)
    try:
        signature = base64.b64decode(manifest.signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return _("the manifest's signature is not base64")
    if not public.verifies(signature, signed_message(manifest)):
        return _("the manifest's signature does not verify with key {key}: it was changed after signing",
                 key=manifest.key_id)
    return None


def path_for(backup: Path) -> Path:
    """Where the manifest of a backup file lives: beside it."""
    return backup.with_name(backup.name + ".manifest.json")


def write(backup: Path, manifest: Manifest) -> Path:
    """Write the manifest beside the backup; returns its path."""
    path = path_for(backup)
    path.write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
    return path


def read(backup: Path) -> Manifest:
    """The manifest of a backup; refused when missing or not a batchtrack manifest."""
    path = path_for(backup)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**values)
    except FileNotFoundError as exc:
        raise BackupRefused(_("no manifest beside the backup (expected {path})", path=str(path))) from exc
    except (ValueError, TypeError) as exc:
        raise BackupRefused(_("{path} is not a batchtrack backup manifest: {problem}", path=str(path),
                              problem=str(exc))) from exc


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """SHA-256 of a file, read in chunks; `progress` gets the bytes read since its last call."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()
