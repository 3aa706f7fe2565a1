"""A4 pages of a printed record: a running header, a footer with "page X of Y" and the audit anchor, and the
blocks the records are made of (headings, paragraphs, label and value pairs, banners, tables), all of which wrap
and continue on the next page rather than fail or cut text.

A record is printed in its reader's language: every text given to a page may be a message marked for translation
(a `Text`), printed in the language of the document's catalog; recorded data (plain strings) is printed as
recorded."""

from __future__ import annotations

import functools
import gettext
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, ParamSpec

from fpdf import FPDF

from batchtrack.documents import flow, fonts
from batchtrack.i18n.text import ENGLISH, Text, _

log = logging.getLogger(__name__)
P = ParamSpec("P")
# What a page prints: recorded data as it is, or a message in the reader's language.
Words = str | Text

# Replaced by the page count when the document is written; spelled so no recorded text contains it by chance.
PAGE_COUNT_ALIAS = "{batchtrack-page-count}"
HEADING_FILL = (232, 232, 232)
BANNER_FILL = (255, 244, 214)
FOOTER_LINE_MM = 3.2
_PAGE_LINE_MM = 4.0
_printing = threading.Lock()


def one_at_a_time(render: Callable[P, bytes]) -> Callable[P, bytes]:
    """`render` (a printed record's whole making, from its first page to its bytes) run by one thread of the process
    at a time.

    Laying out a record and writing it (which parses the parts of its fonts it embeds) take tens of megabytes for a
    moment. Pure Python, they hold the interpreter's lock as they run, so two records made at once in one process
    take as long as one after the other, with twice the memory at the peak, which the process then keeps.
    """

    @functools.wraps(render)
    def one_by_one(*args: P.args, **kwargs: P.kwargs) -> bytes:
        with _printing:
            return render(*args, **kwargs)

    return one_by_one


@dataclass(frozen=True, slots=True)
class Sizes:
    """The measures of one kind of printout: margin and line heights in mm, font sizes in points."""

    orientation: Literal["portrait", "landscape"]
    margin: float
    body_pt: float
    small_pt: float
    table_line: float
    table_padding: float
    heading_pt: float = 12.0
    body_line: float = 4.5


@dataclass(frozen=True, slots=True)
class Running:
    """What every page repeats: a bold title and a note in the header; a line and the audit anchor in the footer."""

    title: Words
    note: Words
    footer: Words
    audit_anchor: str | None = None


@dataclass(frozen=True, slots=True)
class _Printed:
    """What every page repeats, as printed in the record's language."""

    title: str
    note: str
    footer: str
    audit_anchor: str | None


class RecordPdf(FPDF):
    """A printed record in the shipped fonts, in the language of `translations`; its first page is open once it is
    built."""

    def __init__(self, sizes: Sizes, running: Running, *, document_title: Words,
                 translations: gettext.NullTranslations = ENGLISH) -> None:
        super().__init__(orientation=sizes.orientation, unit="mm", format="A4")
        self.sizes = sizes
        self.translations = translations
        self.covered = fonts.register(self)
        self.unprintable: set[int] = set()
        anchor = running.audit_anchor
        self.running = _Printed(self.printable(running.title), self.printable(running.note),
                                self.printable(running.footer), self.printable(anchor) if anchor else None)
        self.set_margins(sizes.margin, sizes.margin + 6, sizes.margin)
        self.set_title(self.printable(document_title))
        self.set_creator("batchtrack")
        self.alias_nb_pages(PAGE_COUNT_ALIAS)
        self._anchor_lines: list[str] = []
        self.set_auto_page_break(True, margin=sizes.margin + _PAGE_LINE_MM)
        self.add_page()
        # Only an open page can measure text: the anchor's lines are known from here, before any content.
        self._anchor_lines = self._footer_lines(self.running.audit_anchor)
        self.set_auto_page_break(True, margin=sizes.margin + _PAGE_LINE_MM
                                 + len(self._anchor_lines) * FOOTER_LINE_MM)

    def shown(self, value: Words) -> str:
        """A message in the record's language; recorded data as it is."""
        return value.shown_in(self.translations) if isinstance(value, Text) else value

    def printable(self, value: object) -> str:
        """`value` as it can be printed (a message in the record's language): each character no shipped font has
        becomes its code point."""
        normalized = fonts.normalized(self.shown(value) if isinstance(value, Text) else value)
        self.unprintable |= fonts.unprintable(normalized, self.covered)
        return fonts.printable(normalized, self.covered)

    def _footer_lines(self, anchor: str | None) -> list[str]:
        if not anchor:
            return []
        fonts.select(self, "", self.sizes.small_pt - 0.5)
        return flow.lines(self, self.epw, FOOTER_LINE_MM, anchor)

    def header(self) -> None:
        """The record's title (bold) and note, above a rule (fpdf2 calls it on each new page)."""
        margin, top = self.sizes.margin, self.sizes.margin / 2 + 1
        self.set_xy(margin, top)
        fonts.select(self, "B", self.sizes.small_pt)
        self.cell(self.epw / 2, 4, self.running.title)
        fonts.select(self, "", self.sizes.small_pt)
        self.cell(self.epw / 2, 4, self.running.note, align="R")
        self.line(margin, top + 5, self.w - margin, top + 5)
        self.set_xy(margin, margin + 6)

    def footer(self) -> None:
        """The audit anchor's lines, then the record's footer line and "page X of Y" (fpdf2 calls it per page)."""
        margin = self.sizes.margin
        # The footer ends where a one-line footer always ended; an audit anchor adds lines above it.
        self.set_y(self.h - margin - len(self._anchor_lines) * FOOTER_LINE_MM)
        for line in self._anchor_lines:
            self.set_x(margin)
            fonts.select(self, "", self.sizes.small_pt - 0.5)
            self.cell(self.epw, FOOTER_LINE_MM, line, new_x="LMARGIN", new_y="NEXT")
        fonts.select(self, "", self.sizes.small_pt)
        self.set_x(margin)
        self.cell(self.epw / 2, _PAGE_LINE_MM, self.running.footer)
        fonts.select(self, "", self.sizes.small_pt)  # the footer line may have ended in the Hangul face
        page_of = _("page {page} of {pages}", page=self.page_no(), pages=PAGE_COUNT_ALIAS)
        self.cell(self.epw / 2, _PAGE_LINE_MM, self.printable(page_of), align="R")

    def heading(self, title: Words, size: float | None = None, space: float = 20) -> None:
        """A heading kept together with at least `space` mm of what follows it."""
        size = size or self.sizes.heading_pt
        if self.will_page_break(space):
            self.add_page()
        self.ln(2)
        self._block(title, flow.RowStyle(widths=(self.epw,), font_pt=size, line=size * 0.5, padding=0,
                                         border=False), "B")
        self.ln(1)

    def paragraph(self, value: Words, *, style: str = "") -> None:
        """Body text, wrapped and continued over page breaks."""
        self._block(value, flow.RowStyle(widths=(self.epw,), font_pt=self.sizes.body_pt,
                                         line=self.sizes.body_line, padding=0, border=False), style)

    def banner(self, value: Words) -> None:
        """A boxed, bold statement that cannot be missed."""
        self._block(value, flow.RowStyle(widths=(self.epw,), font_pt=11, line=6, padding=0.5,
                                         fill=BANNER_FILL), "B")
        self.ln(2)

    def _block(self, value: Words, style: flow.RowStyle, emphasis: str) -> None:
        # Text is written line by line through flow, never by multi_cell: fpdf2 2.8's multi_cell loses the font
        # of a line that follows a line with Hangul (see fonts.select).
        self.set_x(self.l_margin)
        flow.place(self, [flow.Cell(self.printable(value), emphasis)], style, new_page=self.add_page,
                   room_on_new_page=lambda: self._body_lines(style))

    def facts(self, pairs: Sequence[tuple[Words, Words]], *, label_share: float = 0.25) -> None:
        """Label and value pairs; a long value wraps and flows on over the page break."""
        label_width = self.epw * label_share
        style = flow.RowStyle(widths=(label_width, self.epw - label_width), font_pt=self.sizes.body_pt,
                              line=self.sizes.body_line, padding=0, border=False)
        for label, value in pairs:
            self.set_x(self.l_margin)
            flow.place(self, [flow.Cell(self.printable(label), "B"), flow.Cell(self.printable(value))], style,
                       new_page=self.add_page, room_on_new_page=lambda: self._body_lines(style))
        self.ln(2)

    def grid(self, headings: Sequence[Words], rows: Sequence[Sequence[Words]], widths: Sequence[float],
             *, flagged: Sequence[int] = (), empty: Words | None = None) -> None:
        """A table whose rows grow with their text, headings repeated on each page; rows in `flagged` are bold.

        `widths` are relative. A table without rows prints `empty` instead, when given.
        """
        if not rows and empty is not None:
            self.paragraph(empty, style="I")
            return
        total = sum(widths)
        style = flow.RowStyle(widths=tuple(w / total * self.epw for w in widths), font_pt=self.sizes.small_pt,
                              line=self.sizes.table_line, padding=self.sizes.table_padding)
        heading_style = flow.RowStyle(widths=style.widths, font_pt=style.font_pt, line=style.line,
                                      padding=style.padding, fill=HEADING_FILL)
        heading_cells = [flow.Cell(self.printable(h), "B") for h in headings]
        heading_height = flow.height(heading_style, max(len(c) for c in flow.wrap(self, heading_cells,
                                                                                    heading_style)))

        def headings_row() -> None:
            self.set_x(self.l_margin)
            flow.draw(self, flow.wrap(self, heading_cells, heading_style), ["B"] * len(heading_cells),
                      heading_style)

        def next_page() -> None:
            self.add_page()
            headings_row()

        def room_on_new_page() -> int:
            return self._body_lines(style, reserved=heading_height)

        # Headings never end a page alone: they start where at least the first lines of a row fit too.
        if self.will_page_break(heading_height + flow.height(style, flow.MIN_SPLIT_LINES)):
            self.add_page()
        headings_row()
        flagged_rows = set(flagged)
        for index, row in enumerate(rows):
            emphasis = "B" if index in flagged_rows else ""
            self.set_x(self.l_margin)
            flow.place(self, [flow.Cell(self.printable(value), emphasis) for value in row], style,
                       new_page=next_page, room_on_new_page=room_on_new_page)
        self.ln(2)

    def _body_lines(self, style: flow.RowStyle, *, reserved: float = 0.0) -> int:
        """How many lines of rows in `style` an empty page holds below `reserved` mm."""
        body = self.page_break_trigger - self.t_margin - reserved - 2 * style.padding
        return int(body // style.line)

    def document(self) -> bytes:
        """The finished PDF; a character no font could print is logged by code point (never the text itself)."""
        if self.unprintable:
            log.warning("printed record %r: %d character(s) no shipped font has, printed as code points: %s",
                        self.title, len(self.unprintable),
                        ", ".join(f"U+{point:04X}" for point in sorted(self.unprintable)[:20]))
        fonts.drop_unused(self)
        return bytes(self.output())
