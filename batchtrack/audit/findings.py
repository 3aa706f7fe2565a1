"""What `audit verify` can find wrong, named so that an inspector can go to the record (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Check(StrEnum):
    """The checks of a full verification, in the order they are reported."""

    CHAIN = "chain"
    CHECKPOINT = "checkpoint"
    SIGNATURE = "signature"
    STATE = "state"
    CUSTODY = "custody"


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between the records and what proves them.

    `subject` names the record ("entry #100", "signature 7 on lot W000026000001", "lot W000026000001");
    `problem` says what does not agree, with both values where there are two.
    """

    check: Check
    subject: str
    problem: str

    def line(self) -> str:
        """The finding as one line of `audit verify`'s report."""
        return f"{self.check.value}: {self.subject}: {self.problem}"
