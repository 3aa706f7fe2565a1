"""What is hashed is defined once: the fast readers hash exactly the bytes `chain.entry_hash` hashes, and
verifying a chain in ranges gives exactly the verdict of one walk over it."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import or_, select

from batchtrack.audit import chain, reading, segments
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role

from builders import make_user

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])
MOMENTS = st.one_of(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES),
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES),
)


def _contents(texts: st.SearchStrategy[str], actors: st.SearchStrategy[int | None]) -> st.SearchStrategy[Any]:
    return st.builds(
        chain.EntryContent, seq=st.integers(1, 2**31 - 1), occurred_at=MOMENTS, actor_id=actors,
        actor_name=texts, action=texts, entity_type=texts, entity_id=texts, old_values=texts,
        new_values=texts, reason=texts, prev_hash=st.text("0123456789abcdef", min_size=64, max_size=64),
    )


@given(_contents(st.text(), st.one_of(st.none(), st.integers(1, 2**31 - 1))))
def test_entry_hash_is_sha256_of_the_hashed_bytes(content: chain.EntryContent) -> None:
    data = chain.hashed_bytes(content)
    assert data == "\x1f".join(chain.hashed_fields(content)).encode("utf-8")
    assert chain.entry_hash(content) == hashlib.sha256(data).hexdigest() == chain.text_hash(chain.hashed_text(content))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_database_assembles_exactly_the_hashed_text(database: Database, is_postgres: bool, data: Any) -> None:
    # PostgreSQL text cannot hold NUL; SQLite can, so it is tried there. At most 32 characters: the narrowest
    # column the texts go to (entity_type), which PostgreSQL enforces.
    texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"
                                           if is_postgres else ""), max_size=32)
    user_id = _a_user(database)
    content = data.draw(_contents(texts, st.sampled_from([None, user_id])))
    stored = chain.entry_hash(content)
    with database.transaction() as session:
        clash = session.execute(
            select(AuditEntry.seq).where(or_(AuditEntry.seq == content.seq, AuditEntry.prev_hash == content.prev_hash,
                                             AuditEntry.hash == stored))).first()
        if clash is not None:
            return  # drawn before (seq and hashes are unique): that example already stands
        session.add(AuditEntry(**{f: getattr(content, f) for f in chain.EntryContent.__slots__}, hash=stored))
    proxy = database.engine.raw_connection()
    try:
        connection = proxy.driver_connection
        dialect = database.engine.dialect.name
        cursor = connection.cursor()
        cursor.execute(reading.PG_RANGE if is_postgres else reading.SQLITE_RANGE, (content.seq, content.seq))
        seq, prev_hash, stored_hash, assembled = cursor.fetchone()
        cursor.close()
        if content.occurred_at.astimezone(UTC).year >= 1000:
            assert assembled == chain.hashed_text(content)  # the fast path proper
        else:
            assert assembled is None  # left to the fallback, which reads as the ORM does
        segment = reading.scan_range(connection, dialect, content.seq, content.seq)
    finally:
        proxy.close()
    assert (seq, prev_hash, stored_hash) == (content.seq, content.prev_hash, stored)
    assert segment == segments.Segment(content.seq, content.prev_hash, 1, content.seq, stored)


_users: dict[str, int] = {}


def _a_user(database: Database) -> int:
    key = str(database.engine.url)
    if key not in _users:
        _users[key] = make_user(database, Role.QA).principal.user_id or 0
    return _users[key]


# Pure: chains built in memory, damaged, split at arbitrary points.
def _chain(length: int) -> list[tuple[int, str, str, str]]:
    rows, prev = [], chain.GENESIS_HASH
    for seq in range(1, length + 1):
        content = chain.EntryContent(seq, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seq), None, "A",
                                     "x", "t", str(seq), "{}", "{}", "", prev)
        prev = chain.entry_hash(content)
        rows.append((seq, content.prev_hash, prev, chain.hashed_text(content)))
    return rows


def _as_contents(rows: list[tuple[int, str, str, str]]) -> list[tuple[chain.EntryContent, str]]:
    def content(row: tuple[int, str, str, str]) -> chain.EntryContent:
        fields = row[3].split("\x1f")
        return chain.EntryContent(row[0], datetime.strptime(fields[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
                                  None, *fields[3:10], row[1])

    return [(content(row), row[2]) for row in rows]


DAMAGE = st.sampled_from(["none", "drop", "text", "link", "renumber", "first_seq"])


@settings(max_examples=300, deadline=None)
@given(length=st.integers(0, 30), damage=DAMAGE, at=st.integers(0, 29),
       cuts=st.lists(st.integers(0, 40), max_size=6))
def test_verifying_in_ranges_gives_the_verdict_of_one_walk(length: int, damage: str, at: int, cuts: list[int]) -> None:
    rows = _chain(length)
    if rows and damage != "none":
        i = at % len(rows)
        seq, prev, stored, hashed = rows[i]
        if damage == "drop":
            del rows[i]
        elif damage == "text":
            rows[i] = (seq, prev, stored, hashed.replace("\x1fA\x1f", "\x1fB\x1f"))
        elif damage == "link":
            rows[i] = (seq, "f" * 64, stored, hashed.replace(prev, "f" * 64))
        elif damage == "renumber":
            rows[i] = (seq + 100, prev, stored, hashed)
        else:
            rows = [(s - 1, p, h, t) for s, p, h, t in rows]
    rows.sort()  # the readers deliver entries in seq order
    expected = chain.verify(_as_contents(rows))
    # Ranges by seq as the readers cut them: every cut point splits the chain, empty ranges included.
    bounds = sorted({-1, *cuts, 200})
    ranges = [[r for r in rows if low < r[0] <= high] for low, high in itertools.pairwise(bounds)]
    assert segments.join(segments.scan(r, lambda seq: "") for r in ranges) == expected
    assert segments.join([segments.scan(rows, lambda seq: "")]) == expected


def test_split_covers_the_range_without_overlap() -> None:
    for first, last, parts in [(1, 10, 3), (5, 5, 4), (1, 1_000_001, 8), (-3, 7, 2)]:
        ranges = segments.split(first, last, parts)
        covered = [seq for low, high in ranges for seq in range(low, high + 1)]
        assert covered == list(range(first, last + 1)) and len(ranges) == min(parts, last - first + 1)
