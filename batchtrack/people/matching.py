"""Finding a recipient by their name as a person types it: as written (Hangul) or romanised, in either order.

`name_forms` reads what was typed (a pure rule); `recipient_named` and `donor_named` turn it into one SQL condition
on the recipient or donor table, the same on SQLite and PostgreSQL. Only callers whose reader may see patient
identity use them.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, String, false, func, or_
from sqlmodel import col

from batchtrack.models.party import Donor, Recipient

MAX_NAME_QUERY = 200
# Left out when names are compared: "Gil-dong", "Gil dong" and "GILDONG" are one romanised name, "홍 길동" is "홍길동".
_IGNORED = (" ", "-", "'")


def _folded(text: str) -> str:
    return "".join(char for char in text.lower() if char not in _IGNORED and char not in ",." and not char.isspace())


def name_forms(text: str) -> tuple[str, ...]:
    """What a typed name may be, each as family + given (or a family name alone) folded for comparison.

    "홍길동", "홍 길동", "홍", "Hong Gildong", "HONG, Gil-dong", "hong" read as typed; "Gildong Hong" also with its last
    word as the family name. Nothing (an empty tuple) when the text holds no letter.
    """
    text = " ".join(unicodedata.normalize("NFC", text).split())[:MAX_NAME_QUERY]
    if not any(char.isalpha() for char in text):
        return ()
    forms = [_folded(text)]
    words = text.split()
    if "," not in text and len(words) >= 2:
        forms.append(_folded(words[-1]) + _folded(" ".join(words[:-1])))
    return tuple(dict.fromkeys(forms))


def _folded_column(column: Any) -> ColumnElement[str]:
    folded: ColumnElement[str] = func.lower(col(column), type_=String)
    for char in _IGNORED:
        folded = func.replace(folded, char, "", type_=String)
    return folded


def recipient_named(text: str) -> ColumnElement[bool]:
    """The SQL condition: the recipient's name as written or romanised is what was typed, or its family name is."""
    return _named(text, Recipient)


def donor_named(text: str) -> ColumnElement[bool]:
    """The SQL condition: a directed donor's name as written or romanised is what was typed, or its family name is
    (an autologous donor records no name of its own: it is the recipient's)."""
    return _named(text, Donor)


def _named(text: str, person: type[Recipient] | type[Donor]) -> ColumnElement[bool]:
    forms = name_forms(text)
    if not forms:
        return false()
    family, given = _folded_column(person.family_name), _folded_column(person.given_name)
    family_latin, given_latin = _folded_column(person.family_name_latin), _folded_column(person.given_name_latin)
    return or_(*(
        condition
        for form in forms
        for condition in (family.concat(given) == form, family == form,
                          family_latin.concat(given_latin) == form, family_latin == form)
    ))
