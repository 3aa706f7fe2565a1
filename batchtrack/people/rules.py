"""Rules for recording a person's names: what a romanised name may hold, and when it is suggested.

Pure functions: the enrolment service calls them before it writes anything.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.people import names

# Besides Latin letters: the space, the hyphen (Gil-dong) and the apostrophe, typed (O'Neil) or typographic (U+2019).
_LATIN_PUNCTUATION = frozenset(" -'\u2019")
# The longest name part recorded (the columns' and the API's limit): a longer suggestion is not made.
MAX_NAME_PART = 200


class Romanisation(StrEnum):
    """How a recorded romanised name came about (recorded in the audit entry, not the name itself)."""

    ENTERED = "entered"  # typed, or a suggestion a person saw and kept
    SUGGESTED = "suggested"  # not sent: suggested from the Hangul and recorded as suggested
    NONE = "none"  # neither sent nor suggested (a name not in Hangul)


@dataclass(frozen=True, slots=True)
class LatinName:
    """The romanised family and given names to record, and how they came about."""

    family: str
    given: str
    how: Romanisation


def is_latin_name(text: str) -> bool:
    """True when text holds only Latin letters (accented ones too), spaces, hyphens and apostrophes ("" is too)."""
    for char in unicodedata.normalize("NFC", text):
        if char in _LATIN_PUNCTUATION:
            continue
        if not (char.isalpha() and unicodedata.name(char, "").startswith("LATIN ")):
            return False
    return True


def latin_name_refusals(fields: dict[str, tuple[Text, str]]) -> list[Reason]:
    """A reason for each romanised name (field code: (what it is, its value)) holding anything but Latin letters,
    spaces, hyphens and apostrophes."""
    return [
        Reason(f"name.not_latin.{field}",
               _("{what} may hold only Latin letters, spaces, hyphens and apostrophes", what=what))
        for field, (what, value) in fields.items() if not is_latin_name(value)
    ]


def latin_to_record(*, family: str, given: str, family_latin: str | None, given_latin: str | None) -> LatinName:
    """The romanised name to record: as sent when either part is sent; otherwise the suggestion for a Hangul name,
    and nothing for a name in another script (or a suggestion longer than a name part may be)."""
    if family_latin is not None or given_latin is not None:
        family_latin, given_latin = (family_latin or "").strip(), (given_latin or "").strip()
        how = Romanisation.ENTERED if family_latin or given_latin else Romanisation.NONE
        return LatinName(family_latin, given_latin, how)
    if needs_suggestion(family=family, given=given):
        suggested_family, suggested_given = names.suggested_latin(family, given)
        if max(len(suggested_family), len(suggested_given)) <= MAX_NAME_PART:
            return LatinName(suggested_family, suggested_given, Romanisation.SUGGESTED)
    return LatinName("", "", Romanisation.NONE)


def needs_suggestion(*, family: str, given: str) -> bool:
    """True for a name written wholly in Hangul (each part that is given), which a romanised name is suggested for."""
    parts = [part for part in (family, given) if part.strip()]
    return bool(parts) and all(names.is_hangul(part) for part in parts)
