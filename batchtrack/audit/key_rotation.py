"""Rotating the checkpoint signing key: the key in force signs its successor into the log, then is destroyed."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from batchtrack.audit import checkpoint_log, keys
from batchtrack.audit.checkpoint_files import CheckpointFiles, unsound
from batchtrack.i18n.text import _


def rotate(key_path: Path, folders: list[Path]) -> tuple[keys.PublicKey, keys.PublicKey]:
    """Create a new key, endorse it with the current one in the log, put it in place; (old, new) public keys."""
    old = keys.load(key_path)
    staged = key_path.with_name(key_path.name + ".new")
    if staged.exists():
        raise keys.KeyProblem(_("{staged} exists: a rotation was interrupted. If the log's newest key line names "
                                "that key, move it to {path}; otherwise remove it and rotate again",
                                staged=str(staged), path=str(key_path)))
    files = CheckpointFiles(folders)
    with files.locked() as lines:
        reading = checkpoint_log.read(lines, where=str(files.path(folders[0])))
        if not reading.sound:
            raise unsound(reading)
        if reading.current_key is None:
            first = checkpoint_log.key_line(n=1, prev=reading.last_hash, at=datetime.now(UTC), signer=old,
                                            new_key=old.public)
            files.append(first)
            reading = checkpoint_log.read([*lines, first], where=str(files.path(folders[0])))
        elif reading.current_key != old.public.id:
            raise keys.KeyProblem(_("the key at {path} ({key}) is not the key in force in the log ({in_force}): it "
                                    "cannot endorse a successor", path=str(key_path), key=old.public.id,
                                    in_force=reading.current_key))
        new = keys.create(staged)
        files.append(checkpoint_log.key_line(n=reading.lines + 1, prev=reading.last_hash, at=datetime.now(UTC),
                                             signer=old, new_key=new.public))
        retiring = key_path.with_name(key_path.name + ".retiring")
        os.replace(key_path, retiring)
        os.replace(staged, key_path)
        keys.retire(retiring)
    return old.public, new.public
