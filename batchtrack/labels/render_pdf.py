"""PDF (fpdf2) for sheet printers: labels laid out on A4, barcodes drawn as filled rectangles.

Text is set in Courier, or in NanumSquare when it holds Hangul: that font is embedded (the glyphs used), so the
name prints on any printer and reads back as text. The face is parsed once per process and shared with the printed
records (documents.fonts), not read afresh for each label.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from batchtrack.documents import fonts
from batchtrack.i18n.text import _
from batchtrack.labels import content as label_content
from batchtrack.labels import hangul_face, symbols
from batchtrack.labels.content import LabelContent, LabelContentError
from batchtrack.labels.layouts import MM_PER_INCH, BoxElement, Layout, text_origin

A4_MM = (210.0, 297.0)
SHEET_MARGIN_MM = 10.0
GAP_MM = 5.0
# Same grid as the SVG output: whole dots at 300 and 600 dpi.
GRID_DPI = 300
_PT_PER_MM = 72 / MM_PER_INCH
_BOX_LINE_MM = 0.25


def _use_hangul_face(pdf: FPDF, style: str, size_pt: float) -> None:
    pdf.set_font(fonts.add_hangul(pdf, style), style, size_pt)


def _draw_label(pdf: FPDF, layout: Layout, content: LabelContent, ox: float, oy: float) -> None:
    texts = label_content.bound_texts(layout, content)
    barcodes = label_content.bound_barcodes(layout, content)
    pdf.set_fill_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    for element in layout.elements:
        if isinstance(element, BoxElement):
            for x, y, w, h in element.ink():
                pdf.rect(ox + x, oy + y, w, h, style="F")
    for bound in texts:
        element = bound.element
        if element.boxed:
            t = _BOX_LINE_MM
            pdf.set_line_width(t)
            left, top = ox + element.x + t / 2, oy + element.y + t / 2
            pdf.rect(left, top, element.width - t, element.height - t, style="D")
        style = "B" if element.bold else ""
        if hangul_face.needs_face(bound.text):
            _use_hangul_face(pdf, style, bound.size * _PT_PER_MM)
        else:
            # Courier has the 0.6 em advance the layout is fitted to.
            pdf.set_font("Courier", style, bound.size * _PT_PER_MM)
        x, baseline = text_origin(element, bound.text, bound.size)
        pdf.text(ox + x, oy + baseline, bound.text)
    for element, data in barcodes:
        symbol = symbols.make_symbol(element.symbology, data)
        at = symbols.place(element, symbol, GRID_DPI)
        mm = MM_PER_INCH / at.dpi
        m = at.module * mm
        row_height = at.bar_height * mm if symbol.linear else m
        x0, y0 = ox + at.x * mm, oy + at.y * mm
        for row, start, length in symbol.runs():
            pdf.rect(x0 + start * m, y0 + row * row_height, length * m, row_height, style="F")


def render_sheet_pdf(labels: Sequence[tuple[Layout, LabelContent]], *, title: str = "batchtrack labels") -> bytes:
    """Several labels on A4 sheets, left to right and top to bottom, in the order given."""
    if not labels:
        raise LabelContentError(_("a label sheet needs at least one label"), code="label.sheet_empty")
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_creator("batchtrack")
    page_w, page_h = A4_MM
    usable_w, usable_h = page_w - 2 * SHEET_MARGIN_MM, page_h - 2 * SHEET_MARGIN_MM
    x = y = row_height = 0.0
    pdf.add_page()
    for layout, content in labels:
        if layout.width_mm > usable_w or layout.height_mm > usable_h:
            raise LabelContentError(
                _("{template} ({width}x{height} mm) does not fit on A4", template=layout.template_id,
                  width=layout.width_mm, height=layout.height_mm),
                code="label.sheet_too_small",
            )
        if x > 0 and x + layout.width_mm > usable_w:
            x, y, row_height = 0.0, y + row_height + GAP_MM, 0.0
        if y > 0 and y + layout.height_mm > usable_h:
            pdf.add_page()
            x = y = row_height = 0.0
        _draw_label(pdf, layout, content, SHEET_MARGIN_MM + x, SHEET_MARGIN_MM + y)
        x += layout.width_mm + GAP_MM
        row_height = max(row_height, layout.height_mm)
    return bytes(pdf.output())


def render_pdf(layout: Layout, content: LabelContent) -> bytes:
    """One label on an A4 sheet."""
    return render_sheet_pdf([(layout, content)], title=f"{layout.template_id} v{layout.version}")
