"""The checkpoint log on disk: one append-only file per configured folder, every copy holding the same lines.

Writers take a POSIX lock (fcntl, which network file systems honour) on a lock file in the first folder, so app
servers on several hosts sharing that folder write one line at a time. Lines are appended and fsynced; nothing
is ever rewritten, so a write-once (WORM) mount works as a folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from batchtrack.audit import checkpoint_log
from batchtrack.audit.findings import Finding
from batchtrack.i18n.text import Text, _

LOG_NAME = "audit-checkpoints.log"
LOCK_NAME = ".audit-checkpoints.lock"
# Longer than any line the log holds (a line is some 400 bytes).
_TAIL_BYTES = 8192

log = logging.getLogger(__name__)


class LogUnavailable(Exception):
    """The log cannot be written as it stands; the message says why and what to do."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = str(message)  # the English, as logs record it
        self.text = message  # in the reader's language where it is shown


def unsound(reading: checkpoint_log.LogReading) -> LogUnavailable:
    """The refusal to vouch for a log that is not sound, naming its first unsound line (where its reading stopped)."""
    return LogUnavailable(_("the checkpoint log is not sound: {finding}", finding=reading.findings[0].text()))


def _lines_of(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


class CheckpointFiles:
    """The copies of the checkpoint log in their folders."""

    def __init__(self, folders: list[Path]) -> None:
        if not folders:
            raise ValueError("at least one checkpoint folder is needed")
        self.folders = folders

    def path(self, folder: Path) -> Path:
        """The log file in one folder."""
        return folder / LOG_NAME

    def copies(self) -> dict[str, list[bytes]]:
        """Every folder's lines (an absent file is an empty copy), keyed by the log file's path."""
        return {str(self.path(folder)): _lines_of(self.path(folder)) for folder in self.folders}

    def read(self, resume: checkpoint_log.LogReading | None = None
             ) -> tuple[checkpoint_log.LogReading, list[Finding]]:
        """The fullest copy judged line by line, and every finding (unsound lines, copies that differ).

        `resume`, an earlier reading of the log, spares judging again the lines it covers (see `checkpoint_log.read`).
        """
        copies = self.copies()
        differences, fullest = checkpoint_log.compare_copies(copies)
        assert fullest is not None
        reading = checkpoint_log.read(copies[fullest], where=fullest, resume=resume)
        return reading, [*reading.findings, *differences]

    def last_line(self) -> bytes | None:
        """The last line of the first folder's copy, read from its tail alone (None for an empty log)."""
        path = self.path(self.folders[0])
        try:
            with path.open("rb") as stream:
                size = stream.seek(0, os.SEEK_END)
                stream.seek(max(0, size - _TAIL_BYTES))
                tail = stream.read()
        except FileNotFoundError:
            return None
        lines = [line for line in tail.split(b"\n") if line]
        return lines[-1] if lines else None

    def exists(self) -> bool:
        """True when any folder holds a log file."""
        return any(self.path(folder).exists() for folder in self.folders)

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[bytes]]:
        """Hold the writers' lock; yields the log's lines, every copy brought up to the fullest one first.

        Refused when the copies disagree (not one a prefix of another); whether the lines are sound is the
        writer's to judge before it vouches for them with a new line.
        """
        for folder in self.folders:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self.folders[0] / LOCK_NAME
        with lock_path.open("a") as lock:
            fcntl.lockf(lock, fcntl.LOCK_EX)
            try:
                yield self._synchronised()
            finally:
                fcntl.lockf(lock, fcntl.LOCK_UN)

    def _synchronised(self) -> list[bytes]:
        copies = self.copies()
        fullest = max(copies, key=lambda name: len(copies[name]))
        reference = copies[fullest]
        for name, lines in copies.items():
            if lines != reference[: len(lines)]:
                raise LogUnavailable(_("the checkpoint log copies disagree ({copy} differs from {fullest}): run "
                                       "`batchtrack audit verify` and resolve it before new checkpoints",
                                       copy=name, fullest=fullest))
        for name, lines in copies.items():
            if len(lines) < len(reference):
                # Signed lines copied as they are: a folder that was unavailable catches up.
                log.warning("checkpoint log %s lacked %d line(s); copied from %s", name,
                            len(reference) - len(lines), fullest)
                _append(Path(name), reference[len(lines):])
        return reference

    def append(self, raw: bytes) -> None:
        """Append one line to every copy (call while holding `locked`)."""
        failures = []
        for folder in self.folders:
            try:
                _append(self.path(folder), [raw])
            except OSError as exc:
                failures.append(f"{folder}: {exc.strerror or exc}")
        if failures:
            raise LogUnavailable(_("the checkpoint line could not be written to {folders}",
                                   folders="; ".join(failures)))


def _append(path: Path, lines: list[bytes]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, b"".join(line + b"\n" for line in lines))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
