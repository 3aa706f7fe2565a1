"""The checkpoint log's lines and how to judge them (no I/O).

The log is a text file of JSON lines, append-only, kept outside the database. Each line has a number `n`
(1, 2, ...), the SHA-256 of the previous line's bytes (`prev`), the id of the key that signed it (`key_id`) and an
Ed25519 `signature` over its *message*: the line's other fields as canonical JSON (keys sorted, no spaces, ASCII).
Kinds of line:

- `key`: puts a public key in force. The first line of a log is its own key, signed by that key; a rotation is a
  `key` line naming the new key, signed by the key it replaces.
- `checkpoint`: the audit chain's entry `seq` has hash `hash`, and the chain then held `count` entries.
- `restore`: the database was restored from a backup whose chain ends at `seq` with `hash`; checkpoints before
  this line of entries after `seq` describe a chain that the restore set aside.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from batchtrack.audit import chain
from batchtrack.audit.findings import Check, Finding
from batchtrack.audit.keys import PublicKey, SigningKey
from batchtrack.i18n.text import Text, _

FORMAT = 1
KEY, CHECKPOINT, RESTORE = "key", "checkpoint", "restore"
_FIELDS = {
    KEY: {"v", "n", "kind", "at", "prev", "key_id", "public_key", "new_key_id", "signature"},
    CHECKPOINT: {"v", "n", "kind", "at", "prev", "key_id", "seq", "hash", "count", "reason", "signature"},
    RESTORE: {"v", "n", "kind", "at", "prev", "key_id", "seq", "hash", "backup_sha256", "signature"},
}


_NOT_A_KEY = _("the public key is not 32 bytes of base64")
_KEY_ID_MISMATCH = _("the key id does not match the key")


def message(fields: dict[str, Any]) -> bytes:
    """The bytes a line's signature covers: every field but the signature, as canonical ASCII JSON."""
    unsigned = {name: value for name, value in fields.items() if name != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def line_hash(raw: bytes) -> str:
    """SHA-256 (hex) of one line's bytes, without its newline: what the next line's `prev` holds."""
    return hashlib.sha256(raw).hexdigest()


def _signed(fields: dict[str, Any], signer: SigningKey) -> bytes:
    signature = base64.b64encode(signer.sign(message(fields))).decode("ascii")
    return json.dumps({**fields, "signature": signature}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def _head(n: int, kind: str, at: datetime, prev: str, signer: SigningKey) -> dict[str, Any]:
    return {"v": FORMAT, "n": n, "kind": kind, "at": chain.timestamp_text(at), "prev": prev,
            "key_id": signer.public.id}


def key_line(*, n: int, prev: str, at: datetime, signer: SigningKey, new_key: PublicKey) -> bytes:
    """A line that puts `new_key` in force, signed by `signer` (the key itself, for a log's first line)."""
    return _signed({**_head(n, KEY, at, prev, signer), "public_key": new_key.encoded, "new_key_id": new_key.id},
                   signer)


def checkpoint_line(*, n: int, prev: str, at: datetime, signer: SigningKey, seq: int, entry_hash: str,
                    reason: str) -> bytes:
    """A signed checkpoint of the chain's entry `seq` (hash `entry_hash`); the chain holds `seq` entries."""
    return _signed({**_head(n, CHECKPOINT, at, prev, signer), "seq": seq, "hash": entry_hash, "count": seq,
                    "reason": reason}, signer)


def restore_line(*, n: int, prev: str, at: datetime, signer: SigningKey, seq: int, entry_hash: str,
                 backup_sha256: str) -> bytes:
    """A signed note that the chain was restored from a backup ending at entry `seq`."""
    return _signed({**_head(n, RESTORE, at, prev, signer), "seq": seq, "hash": entry_hash,
                    "backup_sha256": backup_sha256}, signer)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint as read from a log whose lines up to it are sound."""

    n: int
    seq: int
    hash: str
    count: int
    at: str
    key_id: str


@dataclass(frozen=True, slots=True)
class Restore:
    """A restore as read from the log."""

    n: int
    seq: int
    hash: str


@dataclass
class LogReading:
    """What a log's sound lines say, and what is wrong with the rest.

    Only lines up to the first unsound one are trusted: `checkpoints`, `restores` and `keys` come from those.
    """

    lines: int = 0
    last_hash: str = chain.GENESIS_HASH
    current_key: str | None = None
    keys: dict[str, PublicKey] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    restores: list[Restore] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        """True when every line of the log is sound."""
        return not self.findings

    def standing(self) -> list[Checkpoint]:
        """The checkpoints that describe the chain in force: those a later restore did not set aside."""
        kept = []
        for checkpoint in self.checkpoints:
            later = [r for r in self.restores if r.n > checkpoint.n]
            if all(checkpoint.seq <= restore.seq for restore in later):
                kept.append(checkpoint)
        return kept


def read(raw_lines: list[bytes], *, where: str, resume: LogReading | None = None) -> LogReading:
    """Judge a log's lines in order; stop trusting it at the first line that is not sound.

    `resume`, a sound reading of an earlier state of the same log, spares judging again the lines it covers when
    the log still holds them unchanged (the last of them has the same hash).
    """
    reading = LogReading()
    if (resume is not None and resume.sound and 0 < resume.lines <= len(raw_lines)
            and line_hash(raw_lines[resume.lines - 1]) == resume.last_hash):
        reading = LogReading(resume.lines, resume.last_hash, resume.current_key, dict(resume.keys),
                             list(resume.checkpoints), list(resume.restores))
    for index, raw in enumerate(raw_lines[reading.lines:], start=reading.lines + 1):
        problem = _judge(reading, index, raw)
        if problem is not None:
            reading.findings.append(Finding(Check.CHECKPOINT, _("{log}, line {n}", log=where, n=index), problem))
            break
        reading.lines = index
        reading.last_hash = line_hash(raw)
    return reading


def _judge(reading: LogReading, index: int, raw: bytes) -> Text | None:
    """Check one line against the sound lines before it and take in what it says; the problem, or None."""
    try:
        fields = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _("not a JSON line (edited or damaged)")
    if not isinstance(fields, dict) or fields.get("kind") not in _FIELDS:
        return _("not a checkpoint log line")
    if set(fields) != _FIELDS[fields["kind"]] or fields.get("v") != FORMAT:
        return _("the fields of a {kind} line are not as written (edited?)", kind=fields["kind"])
    if fields["n"] != index or isinstance(fields["n"], bool):
        return _("numbered {n}: a line is missing or out of place before it", n=fields["n"])
    if fields["prev"] != reading.last_hash:
        return _("does not link to the line before it (a line was removed, inserted or changed)")
    signer = _signer_of(reading, fields, index)
    if isinstance(signer, Text):
        return signer
    try:
        signature = base64.b64decode(str(fields["signature"]).encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return _("its signature is not base64")
    if not signer.verifies(signature, message(fields)):
        return _("its signature does not verify with key {key} (the line was changed after signing)", key=signer.id)
    return _take_in(reading, fields)


def _signer_of(reading: LogReading, fields: dict[str, Any], index: int) -> PublicKey | Text:
    """The key that must have signed this line, or why there is none."""
    if index == 1:
        if fields["kind"] != KEY or fields["key_id"] != fields["new_key_id"]:
            return _("a log begins with its own key, signed by that key")
        try:
            own = PublicKey.from_encoded(str(fields["public_key"]))
        except (ValueError, UnicodeEncodeError):
            return _NOT_A_KEY
        return own if own.id == fields["new_key_id"] else _KEY_ID_MISMATCH
    if fields["key_id"] != reading.current_key:
        return _("signed by key {key}, but key {in_force} is in force", key=fields["key_id"],
                 in_force=reading.current_key)
    return reading.keys[str(reading.current_key)]


def _take_in(reading: LogReading, fields: dict[str, Any]) -> Text | None:
    kind = fields["kind"]
    if kind == KEY:
        try:
            new_key = PublicKey.from_encoded(str(fields["public_key"]))
        except (ValueError, UnicodeEncodeError):
            return _NOT_A_KEY
        if new_key.id != fields["new_key_id"]:
            return _KEY_ID_MISMATCH
        reading.keys[new_key.id] = new_key
        reading.current_key = new_key.id
        return None
    if not (_is_count(fields["seq"]) and isinstance(fields["hash"], str)
            and (kind != CHECKPOINT or _is_count(fields["count"]))):
        return _("its entry number or hash is malformed")
    if kind == CHECKPOINT:
        reading.checkpoints.append(Checkpoint(fields["n"], fields["seq"], fields["hash"], fields["count"],
                                              fields["at"], fields["key_id"]))
    else:
        reading.restores.append(Restore(fields["n"], fields["seq"], fields["hash"]))
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def compare_copies(copies: dict[str, list[bytes]]) -> tuple[list[Finding], str | None]:
    """Compare the copies of one log kept in several folders; the findings and the folder with the fullest copy.

    A copy that is a strict prefix of another lacks lines (deleted, or a folder that was unavailable); copies
    that differ at some line disagree outright.
    """
    if not copies:
        return [], None
    fullest = max(copies, key=lambda name: len(copies[name]))
    reference = copies[fullest]
    findings = []
    for name, lines in copies.items():
        if name == fullest:
            continue
        common = next((i for i, (a, b) in enumerate(zip(lines, reference, strict=False)) if a != b), None)
        if common is not None:
            findings.append(Finding(Check.CHECKPOINT, name, _("line {n} differs from the copy in {fullest}",
                                                              n=common + 1, fullest=fullest)))
        elif len(lines) < len(reference):
            findings.append(Finding(Check.CHECKPOINT, name, _("lacks lines {first} to {last} that the copy in "
                                                              "{fullest} holds", first=len(lines) + 1,
                                                              last=len(reference), fullest=fullest)))
    return findings, fullest
