"""What a label shows, and the exact data each of its barcodes carries (DESIGN.md sections 2, 5 and 11).

Data is encoded in UTC; dates and times are only shown in a display time zone, named ("2026-12-08 12:02 KST"),
dates in ISO order. The recipient is printed twice, as fixed fields: the name as written (Hangul at the first
site, set in NanumSquare) and the romanised name (Latin, left out when none is recorded).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.identifiers import checkchar, isbt
from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.identifiers.coi import CoiIdentifier
from batchtrack.identifiers.din import Din
from batchtrack.labels import hangul_face
from batchtrack.labels.layouts import BarcodeElement, DataKey, Layout, Symbology, TextElement, fit_text_size

AUTOLOGOUS_USE = "FOR AUTOLOGOUS USE ONLY"
DIRECTED_USE = "FOR DIRECTED RECIPIENT USE ONLY"
ANTIBIOTIC_STATEMENT = "Penicillin and streptomycin used in manufacture"
_USE_BY_COLLECTION_TYPE = {isbt.COLLECTION_AUTOLOGOUS: AUTOLOGOUS_USE, isbt.COLLECTION_DIRECTED: DIRECTED_USE}

_PRODUCT_CODE = re.compile(r"[SY][0-9A-Z]{4}[12][0-9A-Z]{2}")
_FLAGS = re.compile(r"[0-9]{2}")
# The label font of every output (Zebra font 0, Courier in PDF, the raster font) prints Latin-1; the name as
# written may also hold what NanumSquare prints (Hangul). Refusing anything else beats printing a patient's name
# with a missing or substituted letter.
_LABEL_TEXT = re.compile(r"[\x20-\x7e\xa0-\xff]+")
_URL = re.compile(r"[\x21-\x7e]{1,200}")
_PREVIEW_HANGUL = {"Hong": "홍길동", "Kim": "김민지"}


class LabelContentError(BadRequest):
    """The content cannot go on this label: missing, malformed, or too long for its field."""

    default_code = "label.content"


@dataclass(frozen=True, slots=True)
class LabelContent:
    """Everything a label of any kind may show; a layout picks what it prints."""

    din: Din
    product_code: str
    product_description: str
    flags: str | None = None  # None: type-3 flags carrying the check character (60 + K)
    coi: CoiIdentifier | None = None
    expires_at: datetime | None = None
    collected_at: datetime | None = None
    storage_temperature: str | None = None
    use_statement: str | None = None  # None: derived from the product code's collection type
    antibiotic_statement: str | None = None
    facility_name: str | None = None
    recipient_name: str | None = None  # as written: "홍길동", or "LAST, First" (people.names.written)
    recipient_name_latin: str | None = None  # romanised: "HONG, Gildong"; None when none is recorded
    recipient_dob: date | None = None
    sample_flag: str | None = None
    sample_description: str | None = None
    bedside_url: str | None = None
    display_zone: str = "UTC"

    def __post_init__(self) -> None:
        if not _PRODUCT_CODE.fullmatch(self.product_code):
            raise LabelContentError(_(
                "product code {code} is not S/Y + 4 characters + type (1/2) + division", code=repr(self.product_code)
            ))
        for name in ("flags", "sample_flag"):
            value = getattr(self, name)
            if value is not None and not _FLAGS.fullmatch(value):
                raise LabelContentError(_("{field} are two digits, got {value}", field=name, value=repr(value)))
        for name in ("expires_at", "collected_at"):
            moment = getattr(self, name)
            if moment is not None:
                if moment.tzinfo is None or moment.utcoffset() is None:
                    raise LabelContentError(_("{field} must carry a time zone (data is encoded in UTC)", field=name))
                object.__setattr__(self, name, moment.astimezone(UTC))
        try:
            ZoneInfo(self.display_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise LabelContentError(_("unknown display time zone {zone}", zone=repr(self.display_zone))) from exc
        expected_use = _USE_BY_COLLECTION_TYPE[self.product_code[5]]
        if self.use_statement is None:
            object.__setattr__(self, "use_statement", expected_use)
        elif self.use_statement != expected_use:
            # The statement and the product code's collection type must tell the same story.
            raise LabelContentError(_(
                "use statement {statement} contradicts product code {code} (collection type {kind}: {expected})",
                statement=repr(self.use_statement), code=self.product_code, kind=self.product_code[5],
                expected=repr(expected_use),
            ))
        if not self.recipient_name_latin:
            object.__setattr__(self, "recipient_name_latin", None)  # no romanised name: printed without it
        for name in (
            "product_description",
            "storage_temperature",
            "antibiotic_statement",
            "facility_name",
            "recipient_name_latin",
            "sample_description",
        ):
            value = getattr(self, name)
            if value is not None and not _LABEL_TEXT.fullmatch(value):
                raise LabelContentError(
                    _("{field} must be printable Latin-1 text, got {value}", field=name, value=repr(value))
                )
        if self.recipient_name is not None:
            written = unicodedata.normalize("NFC", self.recipient_name)
            object.__setattr__(self, "recipient_name", written)
            if not written.strip() or not (_LABEL_TEXT.fullmatch(written) or hangul_face.prints(written)):
                raise LabelContentError(_(
                    "recipient name {name} holds a character no label font prints (Latin-1 and Hangul print)",
                    name=repr(written),
                ))
        if self.bedside_url is not None and not _URL.fullmatch(self.bedside_url):
            raise LabelContentError(_("the bedside link must be printable ASCII without spaces (at most 200)"))


def format_recipient_name(*, family: str, given: str) -> str:
    """The recipient as printed on labels: "LAST, First"."""
    family_clean, given_clean = " ".join(family.split()), " ".join(given.split())
    if not family_clean or not given_clean or "," in family_clean + given_clean:
        raise LabelContentError(_("a recipient name needs a family and a given name without commas"))
    return f"{family_clean.upper()}, {given_clean}"


def format_date(day: date) -> str:
    """A date in the fixed, language-neutral label form, ISO order: "1980-03-05"."""
    return day.isoformat()


def format_moment(moment: datetime, zone: str) -> str:
    """An instant shown in `zone`, with the zone named: "2026-12-31 15:30 KST"."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{format_date(local.date())} {local.hour:02d}:{local.minute:02d} {local.tzname()}"


def use_statement_for(collection_type: str) -> str:
    """The use statement a collection type (1 autologous, 2 directed) requires."""
    try:
        return _USE_BY_COLLECTION_TYPE[collection_type]
    except KeyError:
        raise LabelContentError(_("unknown collection type {kind}", kind=repr(collection_type))) from None


def text_values(content: LabelContent) -> dict[str, str | None]:
    """Every eye-readable value a layout can bind, formatted for print."""
    eye_din = din_ids.eye_readable(content.din)
    flags = content.flags if content.flags is not None else checkchar.type3_flag(content.din.value)
    zone = content.display_zone
    return {
        "din": eye_din[:-2],
        "din_check": content.din.check,
        "din_flags": flags,
        "sample_flag": content.sample_flag,
        "product_code": content.product_code,
        "product_description": content.product_description,
        "coi": None if content.coi is None else content.coi.value,
        "coi_check": None if content.coi is None else content.coi.check,
        "expiry": None if content.expires_at is None else format_moment(content.expires_at, zone),
        "collected": None if content.collected_at is None else format_moment(content.collected_at, zone),
        "storage_temperature": content.storage_temperature,
        "use_statement": content.use_statement,
        "antibiotic_statement": content.antibiotic_statement,
        "facility_name": content.facility_name,
        "recipient_name": content.recipient_name,
        "recipient_name_latin": content.recipient_name_latin,
        "recipient_dob": None if content.recipient_dob is None else format_date(content.recipient_dob),
        "sample_description": content.sample_description,
        "bedside_url": content.bedside_url,
    }


def structure(content: LabelContent, key: DataKey) -> str | None:
    """One bar-coded data structure (data identifier included), or None if the content lacks it."""
    if key == "din":
        return isbt.din_structure(content.din, flags=content.flags)
    if key == "din_sample":
        if content.sample_flag is None:
            return None
        return isbt.din_structure(content.din, flags=content.sample_flag)
    if key == "product":
        return isbt.product_structure(content.product_code)
    if key == "expiry":
        return None if content.expires_at is None else isbt.expiry_datetime_structure(content.expires_at)
    if key == "expiry_date":
        return None if content.expires_at is None else isbt.expiry_date_structure(content.expires_at)
    if key == "coi":
        return None if content.coi is None else isbt.coi_structure(content.coi)
    if key == "bedside_url":
        return content.bedside_url
    raise LabelContentError(_("{key} is not a single data structure", key=repr(key)))


def barcode_data(element: BarcodeElement, content: LabelContent) -> str:
    """The exact text the element's barcode encodes."""
    keys = element.structures if element.data == "compound" else (element.data,)
    parts: list[str] = []
    for key in keys:
        value = structure(content, key)
        if value is None:
            raise LabelContentError(
                _("barcode {barcode} needs {key}, which this content does not have", barcode=repr(element.id),
                  key=repr(key)),
                code="label.content_missing",
            )
        parts.append(value)
    return isbt.compound_message(parts) if element.data == "compound" else parts[0]


def bound_barcodes(layout: Layout, content: LabelContent) -> list[tuple[BarcodeElement, str]]:
    """Each barcode element of the layout with its data."""
    return [(element, barcode_data(element, content)) for element in layout.barcodes]


def encoded_barcodes(layout: Layout, content: LabelContent) -> dict[str, tuple[Symbology, str]]:
    """Element id -> (symbology, data) for every barcode of the label."""
    return {element.id: (element.symbology, data) for element, data in bound_barcodes(layout, content)}


@dataclass(frozen=True, slots=True)
class BoundText:
    """A text element with the string it prints and the font size that makes it fit."""

    element: TextElement
    text: str
    size: float


def bound_texts(layout: Layout, content: LabelContent) -> list[BoundText]:
    """Each text element with its string; refuses missing required content and text too long to fit."""
    values = text_values(content)
    bound: list[BoundText] = []
    for element in layout.elements:
        if not isinstance(element, TextElement):
            continue
        text = element.text if element.content is None else values[element.content]
        if text is None:
            if element.required:
                raise LabelContentError(
                    _("{template} v{version} needs {content} for {field}", template=layout.template_id,
                      version=layout.version, content=repr(element.content), field=repr(element.id)),
                    code="label.content_missing",
                )
            continue
        size = fit_text_size(element, text)
        if size is None:
            raise LabelContentError(
                _("{text} is too long for field {field} of {template} v{version}", text=repr(text),
                  field=repr(element.id), template=layout.template_id, version=layout.version),
                code="label.text_too_long",
            )
        bound.append(BoundText(element, text, size))
    return bound


def preview_content(*, directed: bool = False, hangul: bool = False) -> LabelContent:
    """Fixed example content for previewing layouts (the DIN is the published check-character example).

    With `hangul`, the recipient's name is written in Hangul, with its romanised form beside it.
    """
    din = din_ids.parse("G123417654321")
    coi = coi_ids.build(fin="G1234", year=2026, sequence=1)
    collection_type = isbt.COLLECTION_DIRECTED if directed else isbt.COLLECTION_AUTOLOGOUS
    family, given = ("Kim", "Minji") if directed else ("Hong", "Gildong")
    return LabelContent(
        din=din,
        product_code=isbt.product_code("S1234", collection_type),
        product_description="MSC, BONE MARROW, FRESH",
        coi=coi,
        expires_at=datetime(2026, 12, 31, 6, 30, tzinfo=UTC),
        collected_at=datetime(2026, 12, 1, 0, 15, tzinfo=UTC),
        storage_temperature="Store at 2-8 \u00b0C. Do not freeze.",
        antibiotic_statement=ANTIBIOTIC_STATEMENT,
        facility_name="Cell Therapy Centre, Example University Hospital",
        recipient_name=_PREVIEW_HANGUL[family] if hangul else format_recipient_name(family=family, given=given),
        recipient_name_latin=format_recipient_name(family=family, given=given) if hangul else None,
        recipient_dob=date(1985, 7, 21) if directed else date(1980, 3, 5),
        sample_flag="01",
        sample_description="QC STERILITY",
        bedside_url=f"https://batchtrack.example.org/bedside/{coi.value}",
        display_zone="Asia/Seoul",
    )
