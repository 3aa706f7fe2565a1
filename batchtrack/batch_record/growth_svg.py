"""The growth curve as SVG (pure): cumulative population doublings against days since the first step.

Every piece of text is escaped here, so a page may embed the result as markup; the SVG uses presentation
attributes only (no style attributes, no script), which the content security policy allows. Its words are in the
language of the `translations` given (English by default).
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Mapping, Sequence
from html import escape

from batchtrack.i18n.text import ENGLISH, Text, _
from batchtrack.processing.growth import GrowthPoint

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 24, 56
INK, GRID, LINE = "#1b1b1b", "#d0d0d0", "#12263a"
TITLE_ID, DESC_ID = "growth-curve-title", "growth-curve-desc"
_TARGET_TICKS = 6


def ticks(low: float, high: float) -> list[float]:
    """Round tick positions (steps of 1, 2 or 5 times a power of ten) covering low..high, at least two."""
    span = high - low
    if span <= 0 or not math.isfinite(span):
        span = 1.0
    magnitude = 10 ** math.floor(math.log10(span / _TARGET_TICKS))
    step = next(m * magnitude for m in (1, 2, 5, 10) if span / (m * magnitude) <= _TARGET_TICKS)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    if last <= first:
        last = first + step
    count = round((last - first) / step)
    return [first + i * step for i in range(count + 1)]


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _label(value: float) -> str:
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def _point_text(point: GrowthPoint, labels: Mapping[str, str]) -> Text:
    values = {"name": labels.get(point.step_code, point.step_code), "day": f"{point.days:.1f}",
              "doublings": f"{point.population_doublings:.2f}", "cumulative": f"{point.cumulative_doublings:.2f}"}
    if point.doubling_time_hours is None:
        return _("{name}: day {day}, population doublings {doublings}, cumulative {cumulative}", **values)
    return _("{name}: day {day}, population doublings {doublings}, cumulative {cumulative}, doubling time {hours} h",
             hours=format(point.doubling_time_hours, ".1f"), **values)


def _open(title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="growth-curve" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{TITLE_ID} {DESC_ID}">',
        f'<title id="{TITLE_ID}">{escape(title)}</title>',
        f'<desc id="{DESC_ID}">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]


def _empty(title: str, translations: gettext.NullTranslations) -> str:
    message = _("No growth data yet: a point appears once cells seeded at one passage are harvested at the next.")
    parts = _open(title, message.shown_in(translations))
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
                 f'fill="none" stroke="{GRID}"/>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-family="sans-serif" '
                 f'font-size="14" fill="{INK}">{escape(_("No growth data yet").shown_in(translations))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def render(points: Sequence[GrowthPoint], *, title: str | Text = _("Growth curve"),
           labels: Mapping[str, str] | None = None, translations: gettext.NullTranslations = ENGLISH) -> str:
    """The curve as a standalone SVG document: axes with ticks and labels, one circle per point joined by a
    line, a <title> and a <desc> for screen readers; a clear empty state when there is no point."""
    title = title.shown_in(translations) if isinstance(title, Text) else title
    if not points:
        return _empty(title, translations)
    names = labels or {}
    x_ticks = ticks(min(0.0, *(p.days for p in points)), max(1.0, *(p.days for p in points)))
    y_ticks = ticks(min(0.0, *(p.cumulative_doublings for p in points)),
                    max(1.0, *(p.cumulative_doublings for p in points)))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(days: float) -> float:
        return LEFT + (days - x0) / (x1 - x0) * plot_w

    def sy(doublings: float) -> float:
        return TOP + plot_h - (doublings - y0) / (y1 - y0) * plot_h

    described = [_point_text(p, names).shown_in(translations) for p in points]
    description = (_("Cumulative population doublings against days since the first step; 1 point. {points}.",
                     points="; ".join(described)) if len(points) == 1 else
                   _("Cumulative population doublings against days since the first step; {count} points. {points}.",
                     count=len(points), points="; ".join(described))).shown_in(translations)
    parts = _open(title, description)
    bottom, right = TOP + plot_h, LEFT + plot_w
    parts.append(f'<g stroke="{GRID}" stroke-width="1">')
    parts.extend(f'<line x1="{_num(sx(t))}" y1="{TOP}" x2="{_num(sx(t))}" y2="{bottom}"/>' for t in x_ticks)
    parts.extend(f'<line x1="{LEFT}" y1="{_num(sy(t))}" x2="{right}" y2="{_num(sy(t))}"/>' for t in y_ticks)
    parts.append("</g>")
    parts.append(f'<g stroke="{INK}" stroke-width="1.5">')
    parts.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>')
    parts.extend(f'<line x1="{_num(sx(t))}" y1="{bottom}" x2="{_num(sx(t))}" y2="{bottom + 5}"/>' for t in x_ticks)
    parts.extend(f'<line x1="{LEFT - 5}" y1="{_num(sy(t))}" x2="{LEFT}" y2="{_num(sy(t))}"/>' for t in y_ticks)
    parts.append("</g>")
    parts.append(f'<g font-family="sans-serif" font-size="12" fill="{INK}">')
    parts.extend(f'<text x="{_num(sx(t))}" y="{bottom + 19}" text-anchor="middle">{_label(t)}</text>'
                 for t in x_ticks)
    parts.extend(f'<text x="{LEFT - 9}" y="{_num(sy(t) + 4)}" text-anchor="end">{_label(t)}</text>'
                 for t in y_ticks)
    parts.append(f'<text x="{_num(LEFT + plot_w / 2)}" y="{HEIGHT - 12}" text-anchor="middle">'
                 f'{escape(_("Days since the first step").shown_in(translations))}</text>')
    middle = _num(TOP + plot_h / 2)
    parts.append(f'<text x="16" y="{middle}" text-anchor="middle" transform="rotate(-90 16 {middle})">'
                 f'{escape(_("Cumulative population doublings").shown_in(translations))}</text>')
    parts.append("</g>")
    coordinates = " ".join(f"{_num(sx(p.days))},{_num(sy(p.cumulative_doublings))}" for p in points)
    parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    parts.append(f'<g fill="{LINE}">')
    parts.extend(
        f'<circle cx="{_num(sx(p.days))}" cy="{_num(sy(p.cumulative_doublings))}" r="4">'
        f"<title>{escape(text)}</title></circle>"
        for p, text in zip(points, described, strict=True)
    )
    parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
