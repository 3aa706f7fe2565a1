"""Donation identification number (DIN): FIN + 2-digit year + 6-digit sequence, with check character K."""

from __future__ import annotations

import re
from dataclasses import dataclass

from batchtrack.identifiers import checkchar

DIN_LENGTH = 13
_FIN_FIRST = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
_DIN = re.compile(r"[A-NP-Z1-9][0-9]{4}[0-9]{2}[0-9]{6}")


class IdentifierError(ValueError):
    """An identifier that is not well formed; `code` names the rule it breaks."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Din:
    """A parsed DIN."""

    fin: str
    year: str
    sequence: str

    @property
    def value(self) -> str:
        """The 13 characters."""
        return f"{self.fin}{self.year}{self.sequence}"

    @property
    def check(self) -> str:
        """The check character K."""
        return checkchar.check_character(self.value)

    def __str__(self) -> str:
        return self.value


def build(*, fin: str, year: int, sequence: int) -> Din:
    """Build a DIN from its parts; the year is reduced to two digits."""
    if not 1 <= sequence <= 999_999:
        raise IdentifierError("din.sequence_range", f"DIN sequence {sequence} is outside 1-999999")
    return parse(f"{fin}{year % 100:02d}{sequence:06d}")


def validate_shape(text: str) -> None:
    """Raise IdentifierError naming what is wrong with a 13-character DIN."""
    if len(text) != DIN_LENGTH:
        raise IdentifierError("din.length", f"a DIN has {DIN_LENGTH} characters, got {len(text)}")
    if text != text.upper():
        raise IdentifierError("din.lower_case", "a DIN is written in upper case")
    if text[0] not in _FIN_FIRST:
        raise IdentifierError(
            "din.fin_first", f"a FIN never starts with {text[0]!r} (letter O and digit 0 are not used)"
        )
    if not _DIN.fullmatch(text):
        raise IdentifierError("din.characters", "a DIN is a FIN letter or digit, then 12 digits")


def parse(text: str, *, check: str | None = None) -> Din:
    """Parse a DIN (13 characters); if `check` is given it must be the right check character K."""
    validate_shape(text)
    din = Din(fin=text[:5], year=text[5:7], sequence=text[7:])
    if check is not None and check != din.check:
        raise IdentifierError("din.check_character", f"check character {check!r} does not match DIN {text}")
    return din


def parse_eye_readable(text: str) -> Din:
    """Parse the eye-readable form `G12341765432 1 A` or `G123417654321A` (spaces ignored, K required)."""
    compact = "".join(text.split())
    if len(compact) != DIN_LENGTH + 1:
        raise IdentifierError("din.length", "an eye-readable DIN has 13 characters and its check character")
    return parse(compact[:DIN_LENGTH], check=compact[DIN_LENGTH])


def eye_readable(din: Din) -> str:
    """Format as on a label: FIN, year, sequence grouped, then K (printed in a box on the label)."""
    return f"{din.fin} {din.year} {din.sequence[:2]} {din.sequence[2:]} {din.check}"
