"""Pages of the printed records: the audit anchor in every page's footer (wrapped when long), and tables whose rows
grow with their text and continue on the next page under repeated headings, nothing cut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from document_builders import LONG_TEXT, filler, folded, pages, printed_whole
from printed_record_builders import Filled, batch_record, certificate, coi_report

from batchtrack.batch_record import pdf as batch_record_pdf
from batchtrack.coi_report import pdf as coi_report_pdf
from batchtrack.documents.layout import RecordPdf, Running, Sizes
from batchtrack.release import certificate as certificate_pdf

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)
ANCHOR = "Audit trail through entry 1234, hash 9f2c4be1, checkpoint 17"
LONG_ANCHOR = ANCHOR + "; " + "; ".join(f"log {n}: signed by key 7b1e{n:04d}, stored off-site" for n in range(12))
DOCUMENTS: list[tuple[Callable[[Filled], Any], Callable[..., bytes]]] = [
    (coi_report, coi_report_pdf.render_pdf), (batch_record, batch_record_pdf.render_pdf),
    (certificate, certificate_pdf.render_pdf)]
IDS = ["coi-report", "batch-record", "certificate"]


def _squeezed(value: str) -> str:
    return "".join(value.split())


@pytest.mark.parametrize(("build", "render"), DOCUMENTS, ids=IDS)
@pytest.mark.parametrize("anchor", [ANCHOR, LONG_ANCHOR], ids=["short", "wrapped"])
def test_the_audit_anchor_is_printed_in_the_footer_of_every_page(
    build: Callable[[Filled], Any], render: Callable[..., bytes], anchor: str
) -> None:
    # Long texts make each record run over several pages.
    data = render(build(Filled(lambda name, length: filler(length, "latin", tag=name))), audit_anchor=anchor)
    texts = pages(data)
    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        squeezed = _squeezed(text)
        # At the foot of the page: only the record's name, the print time and the page count follow it.
        assert _squeezed(anchor) in squeezed[-len(_squeezed(anchor)) - 120:], number
        assert squeezed.endswith(f"page{number}of{len(texts)}")


@pytest.mark.parametrize(("build", "render"), DOCUMENTS, ids=IDS)
def test_without_an_anchor_the_footer_names_the_record_and_counts_the_pages(
    build: Callable[[Filled], Any], render: Callable[..., bytes]
) -> None:
    texts = pages(render(build(Filled(lambda name, length: name))))
    for number, text in enumerate(texts, start=1):
        assert "Audit trail" not in text
        assert text.endswith(f"page {number} of {len(texts)}")


def test_a_row_taller_than_a_page_continues_on_the_next_pages_under_repeated_headings() -> None:
    reason = filler(LONG_TEXT, "hangul", tag="reason")
    pdf = RecordPdf(SIZES, Running(title="Rows", note="test", footer="footer"), document_title="Rows")
    # Three columns of a third of the page each: the reason needs more lines than a page has.
    pdf.grid(["When", "Reason", "Who"], [["2026-12-07", reason, "Kim Minji"], ["2026-12-08", "short", "Lee"]],
             (1, 1, 1), flagged=[0])
    data = pdf.document()
    texts = pages(data)
    assert len(texts) >= 2
    assert all("When Reason Who" in text for text in texts)
    assert printed_whole(reason, folded(data), pieces=len(texts))
    assert "2026-12-08 short Lee" in texts[-1]


def test_heading_paragraph_banner_and_label_value_pairs_wrap_and_continue_instead_of_failing() -> None:
    # Each one word of 4,000 characters (a heading: 400), broken between characters where the line ends.
    texts = {block: filler(400 if block == "heading" else LONG_TEXT, "latin", tag=block, separator="")
             for block in ("heading", "banner", "paragraph", "facts")}
    pdf = RecordPdf(SIZES, Running(title="Blocks", note="test", footer="footer"), document_title="Blocks")
    pdf.heading(texts["heading"])
    pdf.banner(texts["banner"])
    pdf.paragraph(texts["paragraph"], style="I")
    pdf.facts([("Reason", texts["facts"])])
    data = pdf.document()
    count = len(pages(data))
    assert count > 1
    for block, text in texts.items():
        assert printed_whole(text, folded(data), pieces=count), block
