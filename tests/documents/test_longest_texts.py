"""Property: the three printed records, with every text field they show filled with the longest text the API accepts
for it, in Latin or in Hangul, with words of any characters those scripts use, spaced, unspaced or on separate
lines, always render, parse, and carry every text whole (wrapped, and continued over page breaks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from document_builders import LONG_TEXT, Script, filler, pages, printed_whole
from hypothesis import given, settings
from hypothesis import strategies as st
from printed_record_builders import Filled, batch_record, certificate, coi_report

from batchtrack.batch_record import pdf as batch_record_pdf
from batchtrack.coi_report import pdf as coi_report_pdf
from batchtrack.release import certificate as certificate_pdf

ANCHOR = "Audit trail through entry 1234, hash 9f2c4be1, checkpoint 17"
# What the API takes in these fields: any character but control characters (validation._printable).
LATIN = st.sampled_from([chr(c) for c in (*range(0x21, 0x7F), *range(0xA1, 0x100))]
                        + list("\u00b5\u00d7\u2070\u2077\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2265\u2264\u2713"))
HANGUL = st.one_of(st.integers(0xAC00, 0xD7A3).map(chr), st.integers(0x3131, 0x318E).map(chr),
                   st.sampled_from(list("0123456789.,()-/%\u00b5\u00d7\u2077\u2013\u2713")))
ALPHABETS = {"latin": LATIN, "hangul": HANGUL}
# Words run together (one word of 4,000 characters), spaced, or one per line (long texts only: short ones are one
# line by the API's rule).
SEPARATORS = st.sampled_from(["", " ", " / ", "\n"])
DOCUMENTS: list[tuple[Callable[[Filled], Any], Callable[..., bytes]]] = [
    (coi_report, coi_report_pdf.render_pdf), (batch_record, batch_record_pdf.render_pdf),
    (certificate, certificate_pdf.render_pdf)]


def _filled(script: Script, words: list[str], separator: str) -> Filled:
    def fill(name: str, length: int) -> str:
        spacing = separator if separator != "\n" or length == LONG_TEXT else " "
        return filler(length, script, tag=f"{name}:", words=words, separator=spacing)
    return Filled(fill)


@pytest.mark.parametrize("script", ["latin", "hangul"])
@pytest.mark.parametrize(("build", "render"), DOCUMENTS, ids=["coi-report", "batch-record", "certificate"])
# One drawn example per record and script: a record at its longest takes one to three seconds to render on a
# shared two-core machine, and the whole property must stay well under 30 s. Each run draws other words.
@settings(max_examples=1, deadline=None)
@given(data=st.data(), separator=SEPARATORS)
def test_every_printed_text_at_its_longest_renders_and_is_found_whole(
    build: Callable[[Filled], Any], render: Callable[..., bytes], script: Script, data: st.DataObject,
    separator: str
) -> None:
    words = data.draw(st.lists(st.text(ALPHABETS[script], min_size=1, max_size=12), min_size=1, max_size=6))
    filled = _filled(script, words, separator)
    document = render(build(filled), audit_anchor=ANCHOR)
    texts = pages(document)  # parses: a PDF pypdf cannot read fails here
    text, count = "".join("".join(page.split()) for page in texts), len(texts)
    missing = [name for name, value in filled.texts.items() if not printed_whole(value, text, pieces=count)]
    assert missing == []
    assert text.count("".join(ANCHOR.split())) == count
