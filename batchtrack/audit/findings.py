"""What `audit verify` can find wrong, named so that an inspector can go to the record (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from batchtrack.i18n.text import Text, _


class Check(StrEnum):
    """The checks of a full verification, in the order they are reported."""

    CHAIN = "chain"
    CHECKPOINT = "checkpoint"
    SIGNATURE = "signature"
    STATE = "state"
    CUSTODY = "custody"


# Each check as `audit verify` names it to its reader.
_CHECK_NAMES = {Check.CHAIN: _("chain"), Check.CHECKPOINT: _("checkpoint"), Check.SIGNATURE: _("signature"),
                Check.STATE: _("state"), Check.CUSTODY: _("custody")}


def _as_text(message: str | Text) -> Text:
    # A text not marked for translation (a problem found by another package) is shown as it is; braces in it are
    # not fields.
    return message if isinstance(message, Text) else Text(message.replace("{", "{{").replace("}", "}}"))


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    """One difference between the records and what proves them.

    `subject` names the record ("entry #100", "signature 7 on lot W000026000001", "lot W000026000001");
    `problem` says what does not agree, with both values where there are two. Both are the English (what the API
    answers); `subject_text` and `problem_text` are the same, marked for translation, for the terminal.
    """

    check: Check
    subject: str
    problem: str
    subject_text: Text = field(compare=False, repr=False)
    problem_text: Text = field(compare=False, repr=False)

    def __init__(self, check: Check, subject: str | Text, problem: str | Text) -> None:
        object.__setattr__(self, "check", check)
        object.__setattr__(self, "subject", str(subject))
        object.__setattr__(self, "problem", str(problem))
        object.__setattr__(self, "subject_text", _as_text(subject))
        object.__setattr__(self, "problem_text", _as_text(problem))

    def line(self) -> str:
        """The finding as one line of `audit verify`'s report, in English."""
        return f"{self.check.value}: {self.subject}: {self.problem}"

    def text(self) -> Text:
        """The finding as one line of `audit verify`'s report, in its reader's language."""
        return _("{check}: {subject}: {problem}", check=_CHECK_NAMES[self.check], subject=self.subject_text,
                 problem=self.problem_text)
