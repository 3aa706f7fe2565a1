"""Pure hash-chain arithmetic of audit entries (no I/O): canonical content, entry hash, verification."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from batchtrack.i18n.text import Text, _

GENESIS_HASH = "0" * 64


def canonical_json(values: Any) -> str:
    """Serialise values the same way every time (sorted keys, no spaces, ISO timestamps)."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def timestamp_text(moment: datetime) -> str:
    """The UTC timestamp as hashed: ISO 8601 with microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class EntryContent:
    """The fields of an audit entry that its hash covers."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    old_values: str
    new_values: str
    reason: str
    prev_hash: str


@dataclass(frozen=True, slots=True)
class WrittenEntry:
    """An entry as it was appended: its content and its hash."""

    content: EntryContent
    hash: str

    @property
    def seq(self) -> int:
        return self.content.seq


def content_fields(content: EntryContent) -> dict[str, Any]:
    """The content as column values of its entry (every field but the entry's own hash)."""
    return {field.name: getattr(content, field.name) for field in fields(content)}


FIELD_SEPARATOR = "\x1f"
# The problems a walk reports, in English (they cross from worker processes as such); `problem_text` is the same for
# a reader of another language.
_MISMATCH = _("content does not match its hash")
_BROKEN_LINK = _("does not link to the previous entry")
MISMATCH = str(_MISMATCH)
BROKEN_LINK = str(_BROKEN_LINK)
_GAP = re.compile(r"sequence gap: expected (\d+)")


def hashed_fields(content: EntryContent) -> tuple[str, ...]:
    """The texts the hash covers, in the order they are hashed."""
    return (
        str(content.seq),
        timestamp_text(content.occurred_at),
        "" if content.actor_id is None else str(content.actor_id),
        content.actor_name,
        content.action,
        content.entity_type,
        content.entity_id,
        content.old_values,
        content.new_values,
        content.reason,
        content.prev_hash,
    )


def hashed_text(content: EntryContent) -> str:
    """The entry's fields joined by the unit separator: the text whose UTF-8 bytes are hashed."""
    return FIELD_SEPARATOR.join(hashed_fields(content))


def hashed_bytes(content: EntryContent) -> bytes:
    """The exact bytes `entry_hash` hashes."""
    return hashed_text(content).encode("utf-8")


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a hashed text, however it was assembled."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(content: EntryContent) -> str:
    """SHA-256 over the entry's fields, unit-separated, in a fixed order."""
    return hashlib.sha256(hashed_bytes(content)).hexdigest()


def gap_problem(expected_seq: int) -> str:
    """How a missing sequence number is reported."""
    return f"sequence gap: expected {expected_seq}"


def problem_text(problem: str) -> Text:
    """A problem the walk reported, marked for translation (one it does not report shown as it is)."""
    if problem == MISMATCH:
        return _MISMATCH
    if problem == BROKEN_LINK:
        return _BROKEN_LINK
    if gap := _GAP.fullmatch(problem):
        return _("sequence gap: expected {seq}", seq=int(gap[1]))
    return Text(problem.replace("{", "{{").replace("}", "}}"))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the chain: how many entries, the head hash, and the first broken entry."""

    count: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        """True when every entry links to its predecessor and matches its own hash."""
        return self.broken_seq is None


def verify(entries: Iterable[tuple[EntryContent, str]]) -> VerifyResult:
    """Walk (content, stored hash) pairs in sequence order; stop at the first entry that breaks the chain."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for content, stored_hash in entries:
        if content.seq != expected_seq:
            return VerifyResult(count, expected_prev, content.seq, gap_problem(expected_seq))
        if content.prev_hash != expected_prev:
            return VerifyResult(count, expected_prev, content.seq, BROKEN_LINK)
        if entry_hash(content) != stored_hash:
            return VerifyResult(count, expected_prev, content.seq, MISMATCH)
        expected_prev = stored_hash
        expected_seq += 1
        count += 1
    return VerifyResult(count, expected_prev)
