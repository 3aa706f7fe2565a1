"""Chain-of-identity (COI) identifier: `CH` + FIN + 2-digit year + 6 alphanumerics, with check character."""

from __future__ import annotations

import re
from dataclasses import dataclass

from batchtrack.identifiers import checkchar
from batchtrack.identifiers.din import IdentifierError

COI_LENGTH = 15
PREFIX = "CH"
_COI = re.compile(r"CH[A-NP-Z1-9][0-9]{4}[0-9]{2}[0-9A-Z]{6}")


@dataclass(frozen=True, slots=True)
class CoiIdentifier:
    """A parsed COI identifier."""

    fin: str
    year: str
    serial: str

    @property
    def value(self) -> str:
        """The 15 characters."""
        return f"{PREFIX}{self.fin}{self.year}{self.serial}"

    @property
    def check(self) -> str:
        """The MOD 37-2 check character over all 15 characters."""
        return checkchar.check_character(self.value)

    def __str__(self) -> str:
        return self.value


def build(*, fin: str, year: int, sequence: int) -> CoiIdentifier:
    """Build a COI identifier from a per-facility, per-year sequence number."""
    if not 1 <= sequence <= 999_999:
        raise IdentifierError("coi.sequence_range", f"COI sequence {sequence} is outside 1-999999")
    return parse(f"{PREFIX}{fin}{year % 100:02d}{sequence:06d}")


def parse(text: str, *, check: str | None = None) -> CoiIdentifier:
    """Parse a COI identifier; if `check` is given it must be the right check character."""
    if len(text) != COI_LENGTH:
        raise IdentifierError("coi.length", f"a COI identifier has {COI_LENGTH} characters, got {len(text)}")
    if text != text.upper():
        raise IdentifierError("coi.lower_case", "a COI identifier is written in upper case")
    if not text.startswith(PREFIX):
        raise IdentifierError("coi.prefix", "a COI identifier starts with CH")
    if text[2] in "O0":
        raise IdentifierError("coi.fin_first", "a FIN never starts with letter O or digit 0")
    if not _COI.fullmatch(text):
        raise IdentifierError("coi.characters", "a COI identifier is CH, a FIN, 2-digit year, 6 alphanumerics")
    coi = CoiIdentifier(fin=text[2:7], year=text[7:9], serial=text[9:])
    if check is not None and check != coi.check:
        raise IdentifierError("coi.check_character", f"check character {check!r} does not match {text}")
    return coi


def parse_eye_readable(text: str) -> CoiIdentifier:
    """Parse `CHW000026000001 K` (spaces ignored, check character required)."""
    compact = "".join(text.split())
    if len(compact) != COI_LENGTH + 1:
        raise IdentifierError("coi.length", "an eye-readable COI identifier has 15 characters and its check")
    return parse(compact[:COI_LENGTH], check=compact[COI_LENGTH])


def eye_readable(coi: CoiIdentifier) -> str:
    """Format as on a label, with the check character last."""
    return f"{coi.value} {coi.check}"
