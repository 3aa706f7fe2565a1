"""What a search box's text can name: a DIN, a COI identifier, a container's label, a subject code or a name.

A pure rule (no I/O, no settings): the search service looks each term up in turn. A text with an identifier's
shape is read as that identifier alone; when it cannot be that identifier (a check character that does not match,
a barcode that cannot be read) the reading carries the reason instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import checkchar, coi, din, isbt
from batchtrack.identifiers.din import IdentifierError
from batchtrack.scanning import parser
from batchtrack.web.validation import SUBJECT_PATTERN

MAX_QUERY = 200
_SUBJECT = re.compile(SUBJECT_PATTERN)
# Besides letters, what a typed name may hold: "Gil-dong", "O'Neil", "HONG, Gildong", "Jr." and spaces.
_NAME_PUNCTUATION = frozenset(" -'\u2019,.")


class Kind(StrEnum):
    """What a term names."""

    COI = "coi"
    DIN = "din"  # a lot's or a collection's DIN
    CONTAINER = "container"  # one container of a DIN: its division, sample flag and product code
    SUBJECT_CODE = "subject_code"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Term:
    """One thing the text may name: `value` is the COI or DIN (13 characters, no check character), the subject
    code as typed, or the name as typed."""

    kind: Kind
    value: str
    division: str = isbt.UNDIVIDED
    sample_flag: str = isbt.UNUSED_FLAGS
    product_code: str | None = None  # the six characters containers record


@dataclass(frozen=True, slots=True)
class Reading:
    """Every term a text may be, most specific first, and why an identifier it looks like cannot be one."""

    terms: tuple[Term, ...] = ()
    refusal: Text | None = None

    def kinds(self) -> frozenset[Kind]:
        """The kinds of its terms."""
        return frozenset(term.kind for term in self.terms)


def _barcode_terms(identity: parser.ScanIdentity) -> tuple[Term, ...]:
    """The terms a scanned label carries: its container (or DIN), then its COI identifier."""
    terms: list[Term] = []
    if identity.din is not None:
        product_code = None if identity.product_code is None else identity.product_code[:6]
        slot = (identity.division or isbt.UNDIVIDED, identity.sample_flag)
        if product_code is None and slot == (isbt.UNDIVIDED, isbt.UNUSED_FLAGS):
            terms.append(Term(Kind.DIN, identity.din))
        else:
            terms.append(Term(Kind.CONTAINER, identity.din, division=slot[0], sample_flag=slot[1],
                              product_code=product_code))
    if identity.coi is not None:
        terms.append(Term(Kind.COI, identity.coi))
    return tuple(terms)


def _read_barcode(text: str) -> Reading:
    """A label's barcode as the scanner typed it (starting with = or &), read as every station reads it."""
    parsed = parser.parse_scan(text)
    if isinstance(parsed, parser.ScanRefusal):
        why = parsed.reasons[0].text if parsed.reasons else _("it holds nothing")
        return Reading(refusal=_("The barcode cannot be read: {why}.", why=why))
    terms = _barcode_terms(parser.identity_of(parsed))
    if not terms:
        return Reading(refusal=_("That barcode holds no DIN or COI identifier: scan the label's other barcode."))
    return Reading(terms)


def _is_din(text: str) -> bool:
    try:
        din.validate_shape(text)
    except IdentifierError:
        return False
    return True


def _is_coi(text: str) -> bool:
    try:
        coi.parse(text)
    except IdentifierError:
        return False
    return True


def _identifier(compact: str) -> Reading:
    """A DIN or COI identifier typed from a label: bare, with its check character, or a DIN with its flags."""
    if len(compact) == coi.COI_LENGTH and _is_coi(compact):
        return Reading((Term(Kind.COI, compact),))
    if len(compact) == coi.COI_LENGTH + 1 and _is_coi(compact[:-1]):
        value, check = compact[:-1], compact[-1]
        if checkchar.check_character(value) == check:
            return Reading((Term(Kind.COI, value),))
        return Reading(refusal=_("The check character {check} does not match COI identifier {coi}: read it again "
                                 "from the label.", check=check, coi=value))
    if len(compact) == din.DIN_LENGTH and _is_din(compact):
        return Reading((Term(Kind.DIN, compact),))
    if len(compact) == din.DIN_LENGTH + 1 and _is_din(compact[:-1]):
        value, check = compact[:-1], compact[-1]
        if checkchar.check_character(value) == check:
            return Reading((Term(Kind.DIN, value),))
        return Reading(refusal=_("The check character {check} does not match DIN {din}: read it again from the "
                                 "label.", check=check, din=value))
    if len(compact) == din.DIN_LENGTH + 2 and _is_din(compact[: din.DIN_LENGTH]) and compact[-2:].isdigit():
        return _read_barcode(isbt.DI_DIN + compact)  # the DIN and the flags printed beside it
    return Reading()


def _is_name(text: str) -> bool:
    """Letters (any script), with the spaces and marks names are written with; at least one letter."""
    return any(char.isalpha() for char in text) and all(
        char.isalpha() or char in _NAME_PUNCTUATION or unicodedata.category(char) == "Mn" for char in text)


def read(query: str, *, names: bool) -> Reading:
    """What `query` may name, most specific first. A name is a term only when `names` (the reader sees patient
    identity); for anyone else a name is read like any other text that is no identifier."""
    text = " ".join(unicodedata.normalize("NFC", query).split())[:MAX_QUERY]
    if not text:
        return Reading()
    if text[0] in (isbt.DI_DIN, "&"):
        return _read_barcode(text)
    identifier = _identifier("".join(text.split()).upper())
    if identifier.terms or identifier.refusal is not None:
        return identifier  # no subject code or name has an identifier's shape
    terms: list[Term] = []
    if _SUBJECT.fullmatch(text):
        terms.append(Term(Kind.SUBJECT_CODE, text))
    if names and _is_name(text):
        terms.append(Term(Kind.NAME, text))
    return Reading(tuple(terms))
