"""The texts for people in the facility's data files (process, specification, protocol, qualification catalogue),
as messages to translate: a Babel extractor, named in `babel.cfg`.

The data files are written in English and stay the record of what was approved: a step's title, a test's method,
a criterion's wording. Pages and printed records show them in the reader's language through the catalogs, as any
other message (`data_text`, and the `data` filter of the templates); a text the catalog lacks shows as written.
Codes (step, test, criterion, qualification codes), units and roles are not texts for people: they are left out.
"""

from __future__ import annotations

import gettext
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from typing import IO, Any

from batchtrack.i18n.text import Text, _

# The fields whose values people read: a title, a value's label, a test's method, a criterion's wording, and the
# results a qualitative test may have (lists of texts).
TEXT_FIELDS = frozenset({"title", "label", "method", "text", "results", "expected"})
# How a process names each instance of a repeated step (processing.definition.plan): "Passage 2 (P2)".
_NUMBERED = re.compile(r"(?P<title>.+) (?P<number>[1-9][0-9]?) \(P(?P=number)\)")


def texts(data: Any, field: str | None = None) -> Iterator[str]:
    """Every text for people in parsed data (pure), in document order, repeats included."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from texts(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from texts(item, field)
    elif isinstance(data, str) and field in TEXT_FIELDS and data.strip():
        yield data


def extract(fileobj: IO[bytes], keywords: object, comment_tags: object,
            options: Mapping[str, str]) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extractor interface: (line, function, message, comments) for each text of a JSON or TOML data file
    (`format = toml` in the file's section of babel.cfg; JSON otherwise)."""
    raw = fileobj.read().decode("utf-8")
    data = tomllib.loads(raw) if options.get("format") == "toml" else json.loads(raw)
    lines = raw.splitlines()
    for text in dict.fromkeys(texts(data)):
        yield _line_of(text, lines), "_", text, []


def _line_of(text: str, lines: list[str]) -> int:
    # Where the text is written: the first line holding it as a quoted string (1 if it is written otherwise).
    quoted = json.dumps(text, ensure_ascii=False)
    for number, line in enumerate(lines, start=1):
        if quoted in line:
            return number
    return 1


def data_text(text: str | None, translations: gettext.NullTranslations) -> str | None:
    """A data file's text in the language of `translations`; as written where the catalog lacks it."""
    if not text:
        return text
    words = data_words(text)
    return words.shown_in(translations) if isinstance(words, Text) else words


def numbered_title(title: str, number: int) -> str:
    """The title of the `number`th instance of a repeated step, as recorded (English): "Passage 2 (P2)"."""
    return f"{title} {number} (P{number})"


def data_words(text: str) -> Text | str:
    """A data file's text as a message shown in the reader's language (on pages, in printed records, as a field of
    another message); a repeated step's title as the process numbers it ("Passage 2 (P2)") is its step's title
    translated, with the number."""
    # A data text has no fields to fill: one holding braces is shown as written rather than read as a template.
    if not text or "{" in text or "}" in text:
        return text
    numbered = _NUMBERED.fullmatch(text)
    if numbered is not None:
        return _("{title} {number} (P{number})", title=Text(numbered["title"]), number=int(numbered["number"]))
    return Text(text)
