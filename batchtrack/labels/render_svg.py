"""SVG for screens: user units are mm, symbols are drawn from their module matrices, text stays text.

Text in the label font is SVG text (every viewer has a monospaced font). Text that needs NanumSquare (Hangul) is
drawn as the outlines of its glyphs, so a viewer without the font shows it just the same; the text itself goes
with it, transparent, so it can still be selected, searched and read out.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from batchtrack.labels import content as label_content
from batchtrack.labels import hangul_face, symbols
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import MM_PER_INCH, BoxElement, Layout, text_origin

# Vector outputs use the 300 dpi grid for module sizes, so a sheet printer at 300 or 600 dpi prints every
# module as whole dots (0.25 mm becomes 0.254 mm).
GRID_DPI = 300
FONT_FAMILY = "DejaVu Sans Mono, Courier New, Courier, monospace"


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _symbol_path(symbol: symbols.Symbol, at: symbols.Placement) -> str:
    mm = MM_PER_INCH / at.dpi
    x0, y0, m = at.x * mm, at.y * mm, at.module * mm
    row_height = at.bar_height * mm if symbol.linear else m
    # One closed sub-path per dark run: compact, and each run is one exact rectangle.
    return "".join(
        f"M{_n(x0 + start * m)} {_n(y0 + row * row_height)}h{_n(length * m)}v{_n(row_height)}h{_n(-length * m)}z"
        for row, start, length in symbol.runs()
    )


def _outlined_text(element_id: str, text: str, x: float, baseline: float, size: float, bold: bool,
                   weight: str) -> str:
    place = f'transform="translate({_n(x)} {_n(baseline)})"'
    return (
        f'<g id="{element_id}" {place} role="img" aria-label={quoteattr(text)}>'
        f'<path fill="#000" d="{hangul_face.svg_outline(text, size, bold)}"/>'
        f'<text x="0" y="0" font-family="{hangul_face.FAMILY}" font-size="{_n(size)}"{weight} fill="none" '
        f'textLength="{_n(hangul_face.advance_em(text, bold) * size)}" xml:space="preserve">{escape(text)}</text></g>'
    )


def render_svg(layout: Layout, content: LabelContent) -> str:
    """One label as a standalone SVG document."""
    w, h = _n(layout.width_mm), _n(layout.height_mm)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" '
        f'data-template={quoteattr(layout.template_id)} data-version="{layout.version}">',
        f"<title>{escape(layout.template_id)} v{layout.version}</title>",
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>',
    ]
    for element in layout.elements:
        if isinstance(element, BoxElement):
            for x, y, bw, bh in element.ink():
                out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bw)}" height="{_n(bh)}" fill="#000"/>')
    for bound in label_content.bound_texts(layout, content):
        element = bound.element
        if element.boxed:
            t = 0.25
            out.append(
                f'<rect x="{_n(element.x + t / 2)}" y="{_n(element.y + t / 2)}" '
                f'width="{_n(element.width - t)}" height="{_n(element.height - t)}" '
                f'fill="none" stroke="#000" stroke-width="{_n(t)}"/>'
            )
        x, baseline = text_origin(element, bound.text, bound.size)
        weight = ' font-weight="bold"' if element.bold else ""
        if hangul_face.needs_face(bound.text):
            out.append(_outlined_text(element.id, bound.text, x, baseline, bound.size, element.bold, weight))
            continue
        out.append(
            f'<text id="{element.id}" x="{_n(x)}" y="{_n(baseline)}" font-family="{FONT_FAMILY}" '
            f'font-size="{_n(bound.size)}"{weight} xml:space="preserve">{escape(bound.text)}</text>'
        )
    for element, data in label_content.bound_barcodes(layout, content):
        symbol = symbols.make_symbol(element.symbology, data)
        at = symbols.place(element, symbol, GRID_DPI)
        out.append(
            f'<path id="{element.id}" data-symbology="{element.symbology}" data-content={quoteattr(data)} '
            f'shape-rendering="crispEdges" fill="#000" d="{_symbol_path(symbol, at)}"/>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
