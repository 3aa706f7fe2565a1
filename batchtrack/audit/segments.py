"""Verifying the chain in pieces (no I/O): walk each seq range on its own, then check the seams between them.

A range is walked as `chain.verify` walks the whole chain, except that its first entry's sequence number and
link can only be judged against the range before it; `Seams` does that, in order, and reports exactly what
one walk over the whole chain would have reported: the same first broken entry, problem, count and head hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from batchtrack.audit import chain

# One row as the fast readers deliver it: seq, prev_hash, stored hash, and the hashed text (`chain.hashed_text`),
# or None when the database could not format it exactly and the reader's fallback must.
Row = tuple[int, str, str, str | None]


@dataclass(frozen=True, slots=True)
class Segment:
    """What a walk over one seq range found.

    `first_seq`/`first_prev` are the range's first entry, to be checked against the previous range;
    `count` entries passed from the start of the range, the last of them being `last_seq` with hash `last_hash`;
    `broken_seq`/`problem` name the first entry inside the range that failed (its first entry: content only).
    """

    first_seq: int | None
    first_prev: str = ""
    count: int = 0
    last_seq: int = 0
    last_hash: str = ""
    broken_seq: int | None = None
    problem: str = ""


EMPTY = Segment(first_seq=None)


def scan(rows: Iterable[Row], fallback: Callable[[int], str]) -> Segment:
    """Walk one range's rows in seq order; stop at the first entry that breaks the chain inside the range."""
    # The hot loop of verification: local names and no per-row objects beyond what the driver made.
    sha256 = hashlib.sha256
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return EMPTY
    first_seq, first_prev, stored, text = first
    if text is None:
        text = fallback(first_seq)
    if sha256(text.encode()).hexdigest() != stored:
        return Segment(first_seq, first_prev, 0, first_seq - 1, "", first_seq, chain.MISMATCH)
    expected_seq, expected_prev = first_seq + 1, stored
    for seq, prev, stored, text in iterator:
        if seq != expected_seq:
            return _stop(first_seq, first_prev, expected_seq, expected_prev, seq, chain.gap_problem(expected_seq))
        if prev != expected_prev:
            return _stop(first_seq, first_prev, expected_seq, expected_prev, seq, chain.BROKEN_LINK)
        if text is None:
            text = fallback(seq)
        if sha256(text.encode()).hexdigest() != stored:
            return _stop(first_seq, first_prev, expected_seq, expected_prev, seq, chain.MISMATCH)
        expected_seq += 1
        expected_prev = stored
    return Segment(first_seq, first_prev, expected_seq - first_seq, expected_seq - 1, expected_prev)


def _stop(first_seq: int, first_prev: str, expected_seq: int, last_hash: str, seq: int, problem: str) -> Segment:
    return Segment(first_seq, first_prev, expected_seq - first_seq, expected_seq - 1, last_hash, seq, problem)


class Seams:
    """Joins the segments of consecutive seq ranges, in order, into the verdict on the whole chain."""

    def __init__(self, after: tuple[int, str] | None = None) -> None:
        # `after`: the walk begins past an entry already vouched for (seq, hash), counted as verified.
        self.count = 0 if after is None else after[0]
        self.expected_seq = 1 if after is None else after[0] + 1
        self.head_hash = chain.GENESIS_HASH if after is None else after[1]
        self.broken: chain.VerifyResult | None = None

    def add(self, segment: Segment) -> chain.VerifyResult | None:
        """Take the next range's segment; returns the verdict as soon as the chain is known to be broken."""
        if self.broken is not None:
            return self.broken
        if segment.first_seq is None:
            return None  # an empty range: any gap shows at the next entry there is
        if segment.first_seq != self.expected_seq:
            self.broken = self._at(segment.first_seq, chain.gap_problem(self.expected_seq))
        elif segment.first_prev != self.head_hash:
            self.broken = self._at(segment.first_seq, chain.BROKEN_LINK)
        else:
            self.count += segment.count
            if segment.count:
                self.expected_seq, self.head_hash = segment.last_seq + 1, segment.last_hash
            if segment.broken_seq is not None:
                self.broken = self._at(segment.broken_seq, segment.problem)
        return self.broken

    def _at(self, seq: int, problem: str) -> chain.VerifyResult:
        return chain.VerifyResult(self.count, self.head_hash, seq, problem)

    def result(self) -> chain.VerifyResult:
        """The verdict once every segment has been added."""
        return self.broken or chain.VerifyResult(self.count, self.head_hash)


def join(segments: Iterable[Segment]) -> chain.VerifyResult:
    """The verdict on a whole chain from the segments of its consecutive seq ranges."""
    seams = Seams()
    for segment in segments:
        if seams.add(segment) is not None:
            break
    return seams.result()


def split(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """Cut the seq range [first, last] into at most `parts` consecutive, non-empty, nearly equal ranges."""
    span = last - first + 1
    parts = max(1, min(parts, span))
    bounds = [first + span * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(parts)]
