"""ISBT 128-style data structures as they are bar-coded (DESIGN.md section 2): encoding.

Each function returns the exact text a barcode carries, data identifier included.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from batchtrack.identifiers import checkchar
from batchtrack.identifiers.coi import CoiIdentifier
from batchtrack.identifiers.din import Din, IdentifierError

DI_DIN = "="
DI_PRODUCT = "=<"
DI_EXPIRY_DATE = "=>"
DI_EXPIRY_DATETIME = "&>"
DI_COI = "&/"
DI_COMPOUND = "=+"

COLLECTION_AUTOLOGOUS = "1"
COLLECTION_DIRECTED = "2"
UNDIVIDED = "00"
UNUSED_FLAGS = "00"

_DESCRIPTION_CODE = re.compile(r"[SY][0-9A-Z]{4}")
_DIVISION = re.compile(r"[0-9A-Z]{2}")


def din_structure(din: Din, *, flags: str | None = None) -> str:
    """`=` + DIN + flags; without `flags`, the type-3 flags that carry the check character (60 + K)."""
    flag_pair = checkchar.type3_flag(din.value) if flags is None else flags
    if not re.fullmatch(r"[0-9]{2}", flag_pair):
        raise IdentifierError("din.flags", f"DIN flags are two digits, got {flag_pair!r}")
    return f"{DI_DIN}{din.value}{flag_pair}"


def product_code(description_code: str, collection_type: str, division: str = UNDIVIDED) -> str:
    """The 8-character product code: description code (5), collection type (1), division (2)."""
    if not _DESCRIPTION_CODE.fullmatch(description_code):
        raise IdentifierError("product.description", "a product description code is S or Y and 4 characters")
    if collection_type not in (COLLECTION_AUTOLOGOUS, COLLECTION_DIRECTED):
        raise IdentifierError("product.collection_type", "collection type is 1 (autologous) or 2 (directed)")
    if not _DIVISION.fullmatch(division):
        raise IdentifierError("product.division", "a division is 2 characters (00 when undivided)")
    return f"{description_code}{collection_type}{division}"


def product_structure(code: str) -> str:
    """`=<` + the 8-character product code."""
    return f"{DI_PRODUCT}{code}"


def _cyyjjj(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    century = (utc.year // 100) - 20
    if not 0 <= century <= 9:
        raise IdentifierError("expiry.century", "expiry dates are encoded for the years 2000-2999")
    return f"{century}{utc.year % 100:02d}{utc.timetuple().tm_yday:03d}"


def expiry_date_structure(moment: datetime) -> str:
    """`=>` + cyyjjj (the expiry date; the time is then 23:59)."""
    return f"{DI_EXPIRY_DATE}{_cyyjjj(moment)}"


def expiry_datetime_structure(moment: datetime) -> str:
    """`&>` + cyyjjjhhmm, in UTC."""
    utc = moment.astimezone(UTC)
    return f"{DI_EXPIRY_DATETIME}{_cyyjjj(utc)}{utc.hour:02d}{utc.minute:02d}"


def coi_structure(coi: CoiIdentifier) -> str:
    """`&/` + the 15-character COI identifier."""
    return f"{DI_COI}{coi.value}"


def compound_message(structures: list[str]) -> str:
    """`=+aabbb` followed by the structures (aa = how many, bbb = 000: no fixed order)."""
    if not 1 <= len(structures) <= 99:
        raise IdentifierError("compound.count", "a compound message holds 1 to 99 data structures")
    return f"{DI_COMPOUND}{len(structures):02d}000{''.join(structures)}"
