"""Builders for printed-record tests: texts of an exact length in Latin or Hangul, the longest lengths the API
accepts, and reading a PDF back to check that a text is in it, whole, even where it wraps or crosses a page."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from typing import Any, Literal, get_args

from annotated_types import MaxLen
from pydantic import BaseModel
from pypdf import PdfReader
from sqlmodel import SQLModel

from batchtrack.web import validation

Script = Literal["latin", "hangul"]
# Words of each script, with the characters records are written with: accents, units, powers, dashes, check marks.
WORDS: dict[Script, tuple[str, ...]] = {
    "latin": ("Müller", "µg/mL", "5.84\u00d710⁷", "cells", "\u2013", "≥70 %", "✓", "Ørsted", "façade", "naïve", "½",
              "±0.5 °C", "shredded", "«label»", "QA"),
    "hangul": ("라벨이", "해동", "중", "찢어져", "품질보증", "담당자", "입회하에", "파기함", "홍길동", "µg/mL",
               "5.84\u00d710⁷", "세포", "\u2013", "✓", "ㄱㄴㄷ"),
}


def max_length(annotated: Any) -> int:
    """The max_length an API input type (an Annotated str with StringConstraints or MaxLen) accepts."""
    for meta in get_args(annotated)[1:]:
        found = getattr(meta, "max_length", None)
        if isinstance(found, int):
            return found
        if isinstance(meta, MaxLen):
            return meta.max_length
        if get_args(meta):
            inner = max_length(meta)
            if inner:
                return inner
    return 0


def field_length(model: type[BaseModel], name: str) -> int:
    """The max_length of a field of a pydantic model (a request schema, or a process or specification file)."""
    info = model.model_fields[name]
    for meta in info.metadata:
        found = getattr(meta, "max_length", None)
        if isinstance(found, int):
            return found
    return max_length(info.annotation)


def column_length(table: type[SQLModel], column: str) -> int:
    """The length of a table's text column: the most an API can store there where no input type is narrower."""
    length = table.__table__.c[column].type.length  # type: ignore[attr-defined]
    assert isinstance(length, int), (table, column)
    return length


LONG_TEXT = max_length(validation.LongText)  # reasons, descriptions, closures, adverse reactions: 4,000
SHORT_TEXT = max_length(validation.ShortText)  # locations, notes, sites, descriptions of materials: 200
CODE = max_length(validation.Code)  # donor codes, protocol ids, MRNs: 64


def filler(length: int, script: Script, *, tag: str = "", words: Sequence[str] | None = None,
           separator: str = " ") -> str:
    """A text of exactly `length` characters: `tag`, then words of `script` numbered so that no part repeats.

    It neither starts nor ends with white space: the API strips it.
    """
    vocabulary = list(words or WORDS[script])
    parts = [tag] if tag else []
    size = len(tag)
    for number in itertools.count():
        word = f"{vocabulary[number % len(vocabulary)]}{number}"
        parts.append(word)
        size += len(word) + len(separator)
        if size >= length:
            break
    text = separator.join(parts)[:length]
    return text if not text[-1].isspace() else f"{text[:-1]}."


def folded(data: bytes) -> str:
    """The text of every page of a PDF, in order, with all white space removed (cells wrap lines)."""
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def pages(data: bytes) -> list[str]:
    """The text of each page, runs of white space folded to one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def printed_whole(value: str, text: str, *, pieces: int) -> bool:
    """Whether `value` is in `text` (both without white space) in at most `pieces` runs, one after another.

    A text that crosses page breaks is interrupted by the footer, the next header and repeated table headings:
    it is then found as consecutive runs, none of it missing.
    """
    value = "".join(value.split())
    position = 0
    for _ in range(pieces):
        if not value:
            return True
        # The longest prefix of what is left that occurs from `position` on (occurrence is monotone in length).
        low, high = 0, len(value)
        while low < high:
            middle = (low + high + 1) // 2
            if text.find(value[:middle], position) >= 0:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return False
        position = text.find(value[:low], position) + low
        value = value[low:]
    return not value


def font_parses(monkeypatch: Any) -> list[str]:
    """From now on, the path of every font file fpdf2 parses (a `TTFFont` made), in a list that fills as they come."""
    from fpdf import fonts as fpdf_fonts

    parsed: list[str] = []
    original = fpdf_fonts.TTFFont.__init__

    def counting(self: fpdf_fonts.TTFFont, *args: object, **kwargs: object) -> None:
        parsed.append(str(args[1]))
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fpdf_fonts.TTFFont, "__init__", counting)
    return parsed


# A number written for machines (6.2e+07), not inside a hash or a signature: never on a record people read.
MACHINE_NUMBER = re.compile(r"(?<![\w+/])\d(?:\.\d+)?e[+-]\d+(?![\w+/])")


def text_of(data: bytes) -> str:
    """The text of every page of a PDF, runs of white space (and the lines table cells wrap) folded to one space."""
    return " ".join(pages(data))


def cut_to(name: str, length: int) -> str:
    """A field filler that cuts a text to the field's length (see Filled)."""
    return name[:length]
