"""Strip what scanners add around the data, undo Hangul-mode damage, and refuse what cannot be a scan."""

from __future__ import annotations

import re
from collections.abc import Iterable

from batchtrack.errors import Reason
from batchtrack.i18n.text import _
from batchtrack.scanning import hangul

MAX_LENGTH = 512
# Refused before any other work, so a pasted megabyte costs one len() call. Generous enough that a
# scan padded with control characters or a long configured prefix still reaches the real check.
MAX_RAW_LENGTH = 8 * MAX_LENGTH

# C0 controls (NUL, EOT, TAB, LF, CR, GS, RS, ...), DEL and C1 controls. ISBT 128 data never contains
# them: scanners add them as terminators or as separators between concatenated structures.
_CONTROL: dict[int, None] = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])

# AIM symbology identifier (ISO/IEC 15424): `]`, a symbology letter, a modifier (`]C0`, `]d2`, `]Q3`).
# Matched without regard to case because a Hangul-mode keyboard sends the letter back upper-cased.
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def _strip_prefix(text: str, prefixes: Iterable[str]) -> str:
    for prefix in prefixes:
        # The upper-case form too: in Hangul mode the prefix's letters come back upper case.
        for form in dict.fromkeys((prefix, prefix.upper())):
            if form and text.startswith(form):
                return text[len(form) :]
    return text


def _strip_suffix(text: str, suffixes: Iterable[str]) -> str:
    for suffix in suffixes:
        for form in dict.fromkeys((suffix, suffix.upper())):
            if form and text.endswith(form):
                return text[: -len(form)]
    return text


def clean(raw: str, *, prefixes: Iterable[str] = (), suffixes: Iterable[str] = ()) -> str | Reason:
    """Return the scanned data without scanner additions, or the Reason it cannot be a scan."""
    if len(raw) > MAX_RAW_LENGTH:
        return Reason("scan.too_long", _("a scan has at most {most} characters, got {count}", most=MAX_LENGTH,
                                         count=len(raw)))
    text = hangul.to_qwerty(raw.translate(_CONTROL)).strip()
    prefixes, suffixes = tuple(prefixes), tuple(suffixes)
    text = _strip_suffix(text, suffixes).rstrip()
    text = _strip_prefix(text, prefixes).lstrip()
    if _AIM.match(text):
        # Scanners put the AIM identifier before or after the configured prefix: strip both orders.
        text = _strip_prefix(text[3:], prefixes).strip()
    if not text:
        return Reason("scan.empty", _("nothing was scanned"))
    if len(text) > MAX_LENGTH:
        return Reason("scan.too_long", _("a scan has at most {most} characters, got {count}", most=MAX_LENGTH,
                                         count=len(text)))
    if not _PRINTABLE.fullmatch(text):
        bad = next(character for character in text if not " " <= character <= "~")
        return Reason("scan.characters", _(
            "the scan holds {character} (U+{code_point}), which no barcode of ours carries; "
            "check the keyboard layout of the scanner", character=ascii(bad), code_point=f"{ord(bad):04X}"))
    return text
