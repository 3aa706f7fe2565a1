"""The journey's charts as inline SVG (pure): hand-over temperatures against the transport range, and the lot's
cell counts against the range of the product's earlier lots.

Every text is escaped here, so a page may embed the result as markup; colours are presentation attributes (the
content security policy forbids style attributes and script). Words are in the language of `translations`.
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable, Sequence
from html import escape

from batchtrack.batch_record import growth_svg
from batchtrack.i18n.text import ENGLISH, _
from batchtrack.therapies import journey

# Drawn small so that its words stay readable when a phone shrinks the chart to the screen's width.
WIDTH, HEIGHT = 420, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 52
INK, GRID, LINE, BAND, OUT = "#1b1b1b", "#d0d0d0", "#12263a", "#b9dfc3", "#b00020"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(exponent: float) -> str:
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def _open(element_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="journey-chart" id="{element_id}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{element_id}-title {element_id}-desc">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]


def _empty(element_id: str, title: str, message: str) -> str:
    return "\n".join([*_open(element_id, title, message),
                      f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-family="sans-serif" '
                      f'font-size="15" fill="{INK}">{escape(message)}</text>', "</svg>"])


def _axes(x_ticks: Sequence[float], y_ticks: Sequence[float], sx: Callable[[float], float],
          sy: Callable[[float], float], x_label: Callable[[float], str], y_label: Callable[[float], str],
          x_title: str, y_title: str) -> list[str]:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    parts = [f'<g stroke="{GRID}" stroke-width="1">']
    parts.extend(f'<line x1="{LEFT}" y1="{_num(sy(t))}" x2="{right}" y2="{_num(sy(t))}"/>' for t in y_ticks)
    parts.append("</g>")
    parts.append(f'<g stroke="{INK}" stroke-width="1.5"><line x1="{LEFT}" y1="{bottom}" x2="{right}" '
                 f'y2="{bottom}"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/></g>')
    parts.append(f'<g font-family="sans-serif" font-size="14" fill="{INK}">')
    parts.extend(f'<text x="{_num(sx(t))}" y="{bottom + 19}" text-anchor="middle">{escape(x_label(t))}</text>'
                 for t in x_ticks)
    parts.extend(f'<text x="{LEFT - 6}" y="{_num(sy(t) + 4)}" text-anchor="end">{escape(y_label(t))}</text>'
                 for t in y_ticks)
    parts.append(f'<text x="{(LEFT + right) / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_title)}</text>')
    parts.append(f'<text x="14" y="{(TOP + bottom) / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(TOP + bottom) / 2})">{escape(y_title)}</text>')
    parts.append("</g>")
    return parts


def temperatures(points: Sequence[journey.TemperaturePoint], low: float, high: float, *,
                 translations: gettext.NullTranslations = ENGLISH) -> str:
    """Each measured temperature in time order (numbered as in the table) over the transport range's band."""
    title = _("Temperatures at the hand-overs").shown_in(translations)
    if not points:
        return _empty("temperature-chart", title, _("No temperature measured yet.").shown_in(translations))
    values = [p.temperature_c for p in points]
    y_ticks = growth_svg.ticks(min(low, *values) - 1, max(high, *values) + 1)
    y0, y1 = y_ticks[0], y_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(index: float) -> float:
        return LEFT + (index - 0.5) / len(points) * plot_w

    def sy(value: float) -> float:
        return TOP + plot_h - (value - y0) / (y1 - y0) * plot_h

    description = _("Transport range {low} to {high} °C. {points}.", low=format(low, "g"), high=format(high, "g"),
                    points="; ".join(f"{n}. {p.place}: {format(p.temperature_c, 'g')} °C"
                                     for n, p in enumerate(points, 1))).shown_in(translations)
    parts = _open("temperature-chart", title, description)
    parts.append(f'<rect class="journey-band" x="{LEFT}" y="{_num(sy(high))}" width="{plot_w}" '
                 f'height="{_num(sy(low) - sy(high))}" fill="{BAND}"/>')
    parts.extend(_axes([i + 1 for i in range(len(points))], y_ticks, sx, sy, lambda t: str(int(t)),
                       lambda t: format(t, "g"), _("Measurement (see the table)").shown_in(translations), "°C"))
    parts.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2" points="'
                 + " ".join(f"{_num(sx(i + 1))},{_num(sy(p.temperature_c))}" for i, p in enumerate(points)) + '"/>')
    parts.extend(f'<circle cx="{_num(sx(i + 1))}" cy="{_num(sy(p.temperature_c))}" r="5" '
                 f'fill="{LINE if p.within else OUT}" class="{"within" if p.within else "outside"}"/>'
                 for i, p in enumerate(points))
    parts.append("</svg>")
    return "\n".join(parts)


def growth(points: Sequence[journey.GrowthPoint], band: Sequence[journey.BandPoint], *,
           translations: gettext.NullTranslations = ENGLISH) -> str:
    """The lot's cells counted against days since its first count, on a log scale, over the band of the
    earlier lots' lowest to highest count at the same steps."""
    title = _("Growth against earlier lots").shown_in(translations)
    if not points:
        return _empty("growth-chart", title, _("No cell count recorded yet.").shown_in(translations))
    days = [p.days for p in points] + [b.days for b in band]
    logs = [math.log10(p.cells) for p in points if p.cells > 0]
    logs += [math.log10(v) for b in band for v in (b.low, b.high) if v > 0]
    x_ticks = growth_svg.ticks(0.0, max(1.0, *days))
    y_ticks = [float(e) for e in range(math.floor(min(logs, default=0)), math.ceil(max(logs, default=1)) + 1)]
    if len(y_ticks) < 2:
        y_ticks.append(y_ticks[0] + 1)
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(day: float) -> float:
        return LEFT + (day - x0) / (x1 - x0) * plot_w

    def sy(exponent: float) -> float:
        return TOP + plot_h - (exponent - y0) / (y1 - y0) * plot_h

    def at(cells: float) -> str:
        return _num(sy(math.log10(cells))) if cells > 0 else _num(sy(y0))

    description = _("Cells counted against days since the first count, on a log scale; {count} points, over "
                    "the range of {lots} earlier lots.", count=len(points),
                    lots=max((b.lots for b in band), default=0)).shown_in(translations)
    parts = _open("growth-chart", title, description)
    if len(band) > 1:
        outline = [f"{_num(sx(b.days))},{at(b.high)}" for b in band]
        outline += [f"{_num(sx(b.days))},{at(b.low)}" for b in reversed(band)]
        # Outlined as well as filled, so that lots alike to the last cell still show a band.
        parts.append(f'<polygon class="journey-band" fill="{BAND}" stroke="{BAND}" stroke-width="8" '
                     f'stroke-linejoin="round" points="{" ".join(outline)}"/>')
    parts.extend(f'<line class="journey-band" x1="{_num(sx(b.days))}" y1="{at(b.high)}" x2="{_num(sx(b.days))}" '
                 f'y2="{at(b.low)}" stroke="{BAND}" stroke-width="10"/>' for b in band)
    parts.extend(_axes(x_ticks, y_ticks, sx, sy, lambda t: format(t, "g"), _power_of_ten,
                       _("Days").shown_in(translations), _("Cells").shown_in(translations)))
    parts.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2" points="'
                 + " ".join(f"{_num(sx(p.days))},{at(p.cells)}" for p in points) + '"/>')
    parts.extend(f'<circle cx="{_num(sx(p.days))}" cy="{at(p.cells)}" r="5" fill="{LINE}"/>' for p in points)
    parts.append("</svg>")
    return "\n".join(parts)
