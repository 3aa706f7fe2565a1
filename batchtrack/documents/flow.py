"""Rows of cells that grow with their text and continue on the next page.

fpdf2's `table()` refuses a row taller than a page ("row too high"), and a recorded reason may be 4,000
characters. Here each cell is wrapped to its column first; a row that fits the rest of the page is drawn whole, one
that fits an empty page moves to the next page, and a taller one is split between lines, its remaining lines
continuing under repeated headings on the next page. No text is cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from batchtrack.documents import fonts

# Below this many lines of room, a row that must be split starts on the next page instead.
MIN_SPLIT_LINES = 2
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class RowStyle:
    """How a row is drawn: column widths (mm), font size (pt), line height and vertical padding (mm), frame, fill."""

    widths: tuple[float, ...]
    font_pt: float
    line: float
    padding: float
    border: bool = True
    fill: tuple[int, int, int] | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    """Text already fit for printing (see fonts.printable), in a font style: '' regular, 'B' bold, 'I' italic."""

    text: str
    style: str = ""


def wrap(pdf: FPDF, cells: Sequence[Cell], style: RowStyle) -> list[list[str]]:
    """Each cell's text broken into the lines its column holds (long words are broken between characters)."""
    wrapped = []
    for cell, width in zip(cells, style.widths, strict=True):
        fonts.select(pdf, cell.style, style.font_pt)
        wrapped.append(lines(pdf, width, style.line, cell.text))
    return wrapped


def lines(pdf: FPDF, width: float, line: float, text: str) -> list[str]:
    """`text` in the current font broken into the lines a column `width` mm wide holds; at least one line."""
    # Most cells of a record hold a line that fits (a name, a time, a code): measured, not broken. Breaking a text
    # into lines costs fpdf2 many times what measuring it does, and a record has thousands of cells.
    if "\n" not in text and text == text.strip() and pdf.get_string_width(text) <= width - 2 * pdf.c_margin - _EPSILON:
        return [text]
    # A soft hyphen is printed as recorded (print_sh), not taken for a place to break the line and dropped.
    broken = pdf.multi_cell(width, line, text, align="L", dry_run=True, output=MethodReturnValue.LINES,
                            print_sh=True)
    assert isinstance(broken, list)
    return [str(part) for part in broken] or [""]


def height(style: RowStyle, count: int) -> float:
    """The height of a row of `count` lines."""
    return count * style.line + 2 * style.padding


def _room(pdf: FPDF, style: RowStyle) -> int:
    """How many lines of a row fit between the current position and the bottom margin."""
    return int((pdf.page_break_trigger - pdf.get_y() - 2 * style.padding + _EPSILON) // style.line)


def place(pdf: FPDF, cells: Sequence[Cell], style: RowStyle, *, new_page: Callable[[], None],
          room_on_new_page: Callable[[], int]) -> None:
    """Draw one row at the current position, moving it or splitting it over page breaks as it needs.

    `new_page` starts the next page (and repeats a table's headings); `room_on_new_page` says how many lines of
    this row fit on such a page.
    """
    remaining = wrap(pdf, cells, style)
    styles = [cell.style for cell in cells]
    while True:
        needed = max(len(cell_lines) for cell_lines in remaining)
        room = _room(pdf, style)
        if needed <= room:
            draw(pdf, remaining, styles, style)
            return
        if needed <= room_on_new_page() or room < MIN_SPLIT_LINES:
            new_page()
            room = _room(pdf, style)
            if needed <= room:
                draw(pdf, remaining, styles, style)
                return
        # Taller than any page, or the page has room for a part: print what fits, continue on the next page.
        # At least one line per page, so that even a page with (wrongly) no room makes progress.
        taken = max(room, 1)
        draw(pdf, [cell_lines[:taken] for cell_lines in remaining], styles, style)
        remaining = [cell_lines[taken:] for cell_lines in remaining]
        new_page()


def draw(pdf: FPDF, lines: Sequence[Sequence[str]], styles: Sequence[str], style: RowStyle) -> None:
    """Draw the given lines of each cell as one row at the current position; the position moves below it."""
    x0, y0 = pdf.get_x(), pdf.get_y()
    row_height = height(style, max(len(cell) for cell in lines))
    # The caller measured the room: a page break triggered inside the row would tear it apart.
    automatic = pdf.auto_page_break
    pdf.auto_page_break = False
    try:
        x = x0
        for cell_lines, cell_style, width in zip(lines, styles, style.widths, strict=True):
            if style.fill is not None:
                pdf.set_fill_color(*style.fill)
                pdf.rect(x, y0, width, row_height, style="DF" if style.border else "F")
            elif style.border:
                pdf.rect(x, y0, width, row_height)
            for index, line in enumerate(cell_lines):
                pdf.set_xy(x, y0 + style.padding + index * style.line)
                fonts.select(pdf, cell_style, style.font_pt)
                pdf.cell(width, style.line, line)
            x += width
    finally:
        pdf.auto_page_break = automatic
    pdf.set_xy(x0, y0 + row_height)
