"""Labels: versioned layouts, label content, barcode symbols and the ZPL, SVG, PNG and PDF outputs.

The entry points for callers (CLI, API, print control) are `render`, `render_label` and `render_sheet_pdf`;
`manifest.entry` records what each rendered file encodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from batchtrack.i18n.text import _
from batchtrack.labels import layouts, render_pdf, render_png, render_svg, render_zpl
from batchtrack.labels.content import LabelContent, LabelContentError
from batchtrack.labels.layouts import Layout

Format = Literal["zpl", "svg", "png", "pdf"]
FORMATS: tuple[Format, ...] = get_args(Format)
EXTENSIONS: dict[Format, str] = {"zpl": ".zpl", "svg": ".svg", "png": ".png", "pdf": ".pdf"}


def render(layout: Layout, content: LabelContent, fmt: Format, dpi: int | None = None) -> bytes:
    """One label in `fmt`; `dpi` applies to ZPL (default 203) and PNG (default 300)."""
    if fmt == "zpl":
        return render_zpl.render_zpl(layout, content, dpi or 203).encode("ascii")
    if fmt == "png":
        return render_png.render_png(layout, content, dpi or render_png.DEFAULT_DPI)
    if fmt == "svg":
        return render_svg.render_svg(layout, content).encode("utf-8")
    if fmt == "pdf":
        return render_pdf.render_pdf(layout, content)
    known = ", ".join(FORMATS)
    raise LabelContentError(_("unknown label format {format} (known: {known})", format=repr(fmt), known=known),
                            code="label.format")


def render_label(
    kind: str, content: LabelContent, fmt: Format, dpi: int | None = None, *, version: int | None = None
) -> bytes:
    """Render `content` with the newest (or the given) layout version of `kind`."""
    return render(layouts.load_layout(kind, version), content, fmt, dpi)


def render_sheet_pdf(labels: Sequence[tuple[str, LabelContent]], *, title: str = "batchtrack labels") -> bytes:
    """Several labels, each (kind, content) with the newest layout of its kind, on A4 sheets."""
    resolved = [(layouts.load_layout(kind), content) for kind, content in labels]
    return render_pdf.render_sheet_pdf(resolved, title=title)
