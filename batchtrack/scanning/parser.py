"""Parse a cleaned scan: dispatch on the data identifier, validate, split compound messages (never raises)."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import checkchar, coi, din, isbt
from batchtrack.identifiers.coi import CoiIdentifier
from batchtrack.identifiers.din import Din, IdentifierError
from batchtrack.scanning import cleaning

FLAGS_UNUSED = isbt.UNUSED_FLAGS


@dataclass(frozen=True, slots=True)
class DinScan:
    """`=` + DIN + two flag characters."""

    din: Din
    flags: str
    keyed: bool = False  # typed from the eye-readable form rather than scanned

    @property
    def sample_flag(self) -> str:
        """Flags 01-59 tell a sample or container of the donation apart; 00 and type-3 flags do not."""
        return self.flags if "01" <= self.flags <= "59" else FLAGS_UNUSED


@dataclass(frozen=True, slots=True)
class ProductScan:
    """`=<` + the 8-character product code."""

    code: str
    description_code: str
    collection_type: str
    division: str


@dataclass(frozen=True, slots=True)
class ExpiryScan:
    """`=>` cyyjjj (then 23:59 UTC) or `&>` cyyjjjhhmm; `moment` is timezone-aware UTC."""

    moment: datetime
    has_time: bool


@dataclass(frozen=True, slots=True)
class CoiScan:
    """A COI identifier: `&/` structure, the eye-readable form, or a wristband (which carries the COI)."""

    coi: CoiIdentifier
    wristband: bool = False
    keyed: bool = False  # typed from the eye-readable form rather than scanned


SimpleScan = DinScan | ProductScan | ExpiryScan | CoiScan


@dataclass(frozen=True, slots=True)
class CompoundScan:
    """`=+aabbb` and the `aa` data structures that follow it (bbb: 000 when in no fixed order)."""

    parts: tuple[SimpleScan, ...]
    order: str = "000"


ParsedScan = SimpleScan | CompoundScan


@dataclass(frozen=True, slots=True)
class ScanRefusal:
    """Why a scan cannot be read; nothing was guessed."""

    reasons: list[Reason]


def _reason(error: IdentifierError) -> Reason:
    return Reason(error.code, error.message)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _parse_din(body: str) -> DinScan | Reason:
    try:
        parsed = din.parse(body[: din.DIN_LENGTH])
    except IdentifierError as error:
        return _reason(error)
    flags = body[din.DIN_LENGTH :]
    if not _digits(flags):
        return Reason("din.flags", _("DIN flags are two digits, got {flags}", flags=repr(flags)))
    if checkchar.flag_value(flags) is not None:
        expected = checkchar.type3_flag(parsed.value)
        if flags != expected:
            return Reason("din.flag_check", _(
                "flags {flags} do not carry the check character of DIN {din} (expected {expected})",
                flags=flags, din=parsed.value, expected=expected))
    elif flags >= "97":
        return Reason("din.flags_reserved", _("DIN flags {flags} are reserved and not used on our labels",
                                              flags=flags))
    return DinScan(din=parsed, flags=flags)


def _parse_product(body: str) -> ProductScan | Reason:
    description, collection_type, division = body[:5], body[5:6], body[6:]
    try:
        code = isbt.product_code(description, collection_type, division)
    except IdentifierError as error:
        return _reason(error)
    return ProductScan(code, description, collection_type, division)


def _parse_expiry(body: str, *, has_time: bool) -> ExpiryScan | Reason:
    if not _digits(body):
        return Reason("expiry.characters", _("an expiry date is written in digits, got {body}", body=repr(body)))
    year = 2000 + int(body[0]) * 100 + int(body[1:3])  # century digit c: 0 for 20xx, 1 for 21xx
    day = int(body[3:6])
    # A date without a time expires at the end of that day (23:59).
    hour, minute = (int(body[6:8]), int(body[8:10])) if has_time else (23, 59)
    days_in_year = 366 if calendar.isleap(year) else 365
    if not 1 <= day <= days_in_year:
        return Reason("expiry.day", _("day {day} is not a day of {year} (1-{days})", day=day, year=year,
                                      days=days_in_year))
    if hour > 23:
        return Reason("expiry.hour", _("hour {hour} is outside 00-23", hour=hour))
    if minute > 59:
        return Reason("expiry.minute", _("minute {minute} is outside 00-59", minute=minute))
    moment = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour, minutes=minute)
    return ExpiryScan(moment=moment, has_time=has_time)


def _parse_coi(body: str, *, wristband: bool = False) -> CoiScan | Reason:
    try:
        return CoiScan(coi.parse(body), wristband=wristband)
    except IdentifierError as error:
        return _reason(error)


@dataclass(frozen=True, slots=True)
class _Structure:
    name: Text
    family: str  # prefix of its reason codes; also what may appear only once in a compound message
    length: int  # data identifier included
    parse: Callable[[str], SimpleScan | Reason]


def _parse_expiry_date(body: str) -> ExpiryScan | Reason:
    return _parse_expiry(body, has_time=False)


def _parse_expiry_datetime(body: str) -> ExpiryScan | Reason:
    return _parse_expiry(body, has_time=True)


# The DIN's data identifier is `=` alone: its second character is the DIN's first.
_DIN_STRUCTURE = _Structure(_("DIN"), "din", 1 + din.DIN_LENGTH + 2, _parse_din)
_STRUCTURES: dict[str, _Structure] = {
    isbt.DI_PRODUCT: _Structure(_("product code"), "product", 10, _parse_product),
    isbt.DI_EXPIRY_DATE: _Structure(_("expiry date"), "expiry", 8, _parse_expiry_date),
    isbt.DI_EXPIRY_DATETIME: _Structure(_("expiry date and time"), "expiry", 12, _parse_expiry_datetime),
    isbt.DI_COI: _Structure(_("COI identifier"), "coi", 2 + coi.COI_LENGTH, _parse_coi),
}


def _structure_at(text: str, start: int) -> _Structure | Reason:
    """The data structure whose identifier starts at `start`."""
    identifier = text[start : start + 2]
    if identifier in _STRUCTURES:
        return _STRUCTURES[identifier]
    if identifier[:1] == isbt.DI_DIN and identifier[1:].isascii() and identifier[1:].isalnum():
        return _DIN_STRUCTURE
    if identifier == isbt.DI_COMPOUND and start > 0:
        return Reason("compound.nested", _("a compound message cannot contain another compound message"))
    return Reason("scan.unknown_identifier", _("no data structure of ours starts with {identifier}",
                                               identifier=repr(identifier)))


def _parse_one(text: str) -> SimpleScan | Reason:
    """Exactly one data structure, whose length must be the structure's own."""
    structure = _structure_at(text, 0)
    if isinstance(structure, Reason):
        return structure
    if len(text) > structure.length and text[structure.length] in "=&":
        return Reason(
            "scan.several_structures",
            _("several data structures were scanned together without a compound message header (=+)"),
        )
    if len(text) != structure.length:
        message = _("a {structure} data structure has {length} characters, got {count}", structure=structure.name,
                    length=structure.length, count=len(text))
        return Reason(f"{structure.family}.length", message)
    identifier_length = 1 if structure is _DIN_STRUCTURE else 2
    return structure.parse(text[identifier_length:])


def _parse_compound(text: str) -> CompoundScan | ScanRefusal:
    header = text[2:7]
    if len(header) < 5 or not _digits(header):
        return ScanRefusal(
            [Reason("compound.header", _("a compound message starts with =+ and 5 digits aabbb"))]
        )
    declared, order = int(header[:2]), header[2:]
    if declared == 0:
        return ScanRefusal([Reason("compound.count", _("a compound message holds 1 to 99 data structures"))])
    parts: list[SimpleScan] = []
    reasons: list[Reason] = []
    seen: set[str] = set()
    count, position = 0, 7
    while position < len(text):
        structure = _structure_at(text, position)
        if isinstance(structure, Reason):
            # Without a known identifier there is no known length: the rest cannot be split.
            return ScanRefusal([*reasons, Reason(structure.code, _("at character {position}: {why}",
                                                                   position=position + 1, why=structure.text))])
        end = position + structure.length
        if end > len(text):
            message = _("the {structure} at character {position} is cut short", structure=structure.name,
                        position=position + 1)
            return ScanRefusal([*reasons, Reason("compound.truncated", message)])
        count += 1
        if structure.family in seen:
            # Two DINs, COIs or expiries in one message would make the label ambiguous.
            message = _("structure {count} ({structure}) repeats a structure of its kind", count=count,
                        structure=structure.name)
            reasons.append(Reason("compound.duplicate", message))
        seen.add(structure.family)
        parsed = _parse_one(text[position:end])
        if isinstance(parsed, Reason):
            reasons.append(Reason(parsed.code, _("structure {count} ({structure}): {why}", count=count,
                                                 structure=structure.name, why=parsed.text)))
        else:
            parts.append(parsed)
        position = end
    if count != declared:
        code = "compound.short" if count < declared else "compound.long"
        reasons.append(Reason(code, _("the compound message declares {declared} data structure(s) but holds {count}",
                                      declared=declared, count=count)))
    return ScanRefusal(reasons) if reasons else CompoundScan(parts=tuple(parts), order=order)


def _parse_eye_readable(text: str) -> ParsedScan | Reason:
    """A DIN or COI identifier typed from the label, with its check character (spaces allowed)."""
    compact = "".join(text.split())
    try:
        if len(compact) == din.DIN_LENGTH + 1:
            return DinScan(din=din.parse_eye_readable(compact), flags=FLAGS_UNUSED, keyed=True)
        if len(compact) == coi.COI_LENGTH + 1 and compact[:2].upper() == coi.PREFIX:
            return CoiScan(coi.parse_eye_readable(compact), keyed=True)
    except IdentifierError as error:
        return _reason(error)
    if len(compact) == din.DIN_LENGTH or (
        len(compact) == coi.COI_LENGTH and compact[:2].upper() == coi.PREFIX
    ):
        return Reason("scan.check_missing", _("type the check character (in the box on the label) as well"))
    return Reason(
        "scan.unrecognised",
        _("not a barcode of ours, nor a DIN (13 characters + check) or COI identifier (15 + check) typed in"),
    )


def _parse_wristband(text: str) -> CoiScan | Reason:
    """A wristband carries the therapy's COI identifier: `&/` structure, bare, or with its check character."""
    compact = "".join(text.split())
    try:
        if compact.startswith(isbt.DI_COI):
            found = coi.parse(compact[2:])
        elif len(compact) == coi.COI_LENGTH + 1:
            found = coi.parse_eye_readable(compact)
        else:
            found = coi.parse(compact)
    except IdentifierError as error:
        return Reason(error.code, _("a wristband carries the therapy's COI identifier: {why}", why=error.message))
    return CoiScan(found, wristband=True)


def parse_cleaned(text: str, *, wristband_prefixes: Iterable[str] = ()) -> ParsedScan | ScanRefusal:
    """Parse text that `cleaning.clean` already accepted."""
    parsed: ParsedScan | Reason | ScanRefusal
    # Upper case too: a prefix typed in Hangul mode comes back upper case, like every other letter.
    forms = (form for prefix in wristband_prefixes for form in (prefix, prefix.upper()) if form)
    wristband = next((form for form in forms if text.startswith(form)), None)
    if wristband is not None:
        parsed = _parse_wristband(text[len(wristband) :].strip())
    elif text.startswith(isbt.DI_COMPOUND):
        parsed = _parse_compound(text)
    elif text[:1] in ("=", "&"):
        parsed = _parse_one(text)
    else:
        parsed = _parse_eye_readable(text)
    return ScanRefusal([parsed]) if isinstance(parsed, Reason) else parsed


def parse_scan(
    raw: str,
    *,
    prefixes: Iterable[str] = (),
    suffixes: Iterable[str] = (),
    wristband_prefixes: Iterable[str] = (),
) -> ParsedScan | ScanRefusal:
    """Clean, undo Hangul mode, dispatch and validate one scan; a refusal lists why (never raises)."""
    if not isinstance(raw, str):
        return ScanRefusal([Reason("scan.characters", _("a scan is text"))])
    text = cleaning.clean(raw, prefixes=prefixes, suffixes=suffixes)
    if isinstance(text, Reason):
        return ScanRefusal([text])
    return parse_cleaned(text, wristband_prefixes=wristband_prefixes)


@dataclass(frozen=True, slots=True)
class ScanIdentity:
    """What a scan names, for the database lookup: every field None that the scan did not carry."""

    din: str | None = None
    sample_flag: str = FLAGS_UNUSED
    product_code: str | None = None
    division: str | None = None
    coi: str | None = None
    wristband: bool = False
    expires_at: datetime | None = None


def identity_of(parsed: ParsedScan) -> ScanIdentity:
    """Collect the identifiers a (possibly compound) scan carries."""
    identity = ScanIdentity()
    for part in parsed.parts if isinstance(parsed, CompoundScan) else (parsed,):
        if isinstance(part, DinScan):
            identity = replace(identity, din=part.din.value, sample_flag=part.sample_flag)
        elif isinstance(part, ProductScan):
            identity = replace(identity, product_code=part.code, division=part.division)
        elif isinstance(part, CoiScan):
            identity = replace(identity, coi=part.coi.value, wristband=part.wristband)
        else:
            identity = replace(identity, expires_at=part.moment)
    return identity
