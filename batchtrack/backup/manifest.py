"""The manifest written beside every backup: what it holds, and how to know it is the file that was written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from batchtrack.backup.errors import BackupRefused

CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    """Engine, time, schema revision, the audit chain in the backup, and the backup file's SHA-256."""

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
    format: int = 1


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
        raise BackupRefused(f"no manifest beside the backup (expected {path})") from exc
    except (ValueError, TypeError) as exc:
        raise BackupRefused(f"{path} is not a batchtrack backup manifest: {exc}") from exc


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """SHA-256 of a file, read in chunks; `progress` gets the bytes read since its last call."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()
