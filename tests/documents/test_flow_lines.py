"""A cell's text is broken into the same lines whether it is measured as fitting on one line (the short way most
cells take) or broken by fpdf2: the short way never changes what is printed."""

from __future__ import annotations

from fpdf.enums import MethodReturnValue
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtrack.documents import flow, fonts
from batchtrack.documents.layout import RecordPdf, Running, Sizes

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)
WORDS = st.sampled_from(["홍길동", "김수아", "Kim", "Sua", "2026-12-08", "14:30", "KST", "performed", "µg/mL",
                         "5.84 \u00d7 10\u2077", "W000026000001", "-", "검체", "a", "Supercalifragilistic"])


def _broken_by_fpdf2(pdf: RecordPdf, width: float, text: str) -> list[str]:
    broken = pdf.multi_cell(width, SIZES.table_line, text, align="L", dry_run=True,
                            output=MethodReturnValue.LINES, print_sh=True)
    assert isinstance(broken, list)
    return [str(part) for part in broken] or [""]


@settings(max_examples=150, deadline=None)
@given(words=st.lists(WORDS, min_size=0, max_size=8), spaces=st.sampled_from([" ", "  "]),
       width=st.floats(min_value=8.0, max_value=80.0), style=st.sampled_from(["", "B"]))
def test_a_cell_breaks_into_the_lines_fpdf2_would_break_it_into(words: list[str], spaces: str, width: float,
                                                                 style: str) -> None:
    pdf = RecordPdf(SIZES, Running(title="t", note="n", footer="f"), document_title="t")
    text = spaces.join(words)
    fonts.select(pdf, style, SIZES.body_pt)
    assert flow.lines(pdf, width, SIZES.table_line, text) == _broken_by_fpdf2(pdf, width, text)
