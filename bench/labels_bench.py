"""Throughput of label rendering: full final-product labels per second in each output format.

Run: python bench/labels_bench.py [--seconds 3]

Each label gets its own DIN, COI and recipient, so per-label work (barcodes, variable text) is really
done; only what is shared by a print run (layout, fonts, fixed captions and statements) is reused. The rows
marked "Hangul" print the recipient's name as written in Hangul (drawn in NanumSquare: a graphic field in ZPL)
with the romanised name below it, as at the first site; there are more distinct names than the renderers keep
drawn, so each name is really drawn.
Rates are given per second of wall-clock time and per second of this process's CPU time; the second is
the steadier figure on a machine that is doing other work.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts, render_pdf, render_png, render_svg, render_zpl
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import Layout
from batchtrack.people import names

# A Hangul name costs what a Latin one does in every format; the same targets hold for both.
TARGETS = {"zpl 203 dpi": 2000.0, "zpl 300 dpi": 2000.0, "png 300 dpi": 100.0,
           "zpl 203 dpi Hangul": 2000.0, "zpl 300 dpi Hangul": 2000.0, "png 300 dpi Hangul": 100.0}
FAMILIES = ("HONG", "KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "YOON", "SMITH", "GARCIA")
GIVEN = ("Gildong", "Minji", "Seojun", "Jiwoo", "Hana", "Anna", "Lucas", "Maria")
HANGUL_FAMILIES = ("홍", "김", "이", "박", "최", "정", "강", "윤", "남궁", "황보")
# Given names of two of these syllables: 256 of them, 1,280 distinct names with the families above.
HANGUL_SYLLABLES = "민서지하준우예도수아현윤채은건영"


def _recipient(n: int, hangul: bool) -> tuple[str, str | None]:
    """The name as written and the romanised name (None when printed without one) of the n-th label."""
    if not hangul:
        family, given = FAMILIES[n % len(FAMILIES)], GIVEN[n % len(GIVEN)]
        return label_content.format_recipient_name(family=family, given=given), None
    count = len(HANGUL_SYLLABLES)
    family = HANGUL_FAMILIES[n % len(HANGUL_FAMILIES)]
    first = n % count
    given = HANGUL_SYLLABLES[first] + HANGUL_SYLLABLES[(n // count + first + 1) % count]
    return names.written(family, given), names.romanised(*names.suggested_latin(family, given))


def contents(count: int, *, hangul: bool = False) -> list[LabelContent]:
    """`count` distinct final-product contents (DIN, COI, recipient and expiry differ); names in Hangul if asked."""
    base = label_content.preview_content()
    assert base.expires_at is not None
    made = []
    for n in range(count):
        directed = n % 5 == 0
        product = f"S1234{'2' if directed else '1'}00"
        written, latin = _recipient(n, hangul)
        made.append(
            dataclasses.replace(
                base,
                din=din_ids.build(fin="G1234", year=2026, sequence=n + 1),
                coi=coi_ids.build(fin="G1234", year=2026, sequence=n + 1),
                product_code=product,
                use_statement=None,
                recipient_name=written,
                recipient_name_latin=latin,
                recipient_dob=date(1950, 1, 1) + timedelta(days=n * 7),
                expires_at=base.expires_at + timedelta(minutes=n),
            )
        )
    return made


def measure(
    render: Callable[[Layout, LabelContent], object], layout: Layout, pool: list[LabelContent], seconds: float
) -> tuple[float, float, int]:
    """(labels per wall second, labels per CPU second, labels rendered) over about `seconds`."""
    render(layout, pool[0])  # warm-up: layout parse, fonts, caches of fixed text
    done = 0
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall_start < seconds:
        for content in pool[done % len(pool) : done % len(pool) + 50]:
            render(layout, content)
            done += 1
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    return done / wall, done / cpu, done


def formats() -> dict[str, Callable[[Layout, LabelContent], object]]:
    """The output formats measured with Latin names, by name."""
    return {
        "zpl 203 dpi": lambda lay, c: render_zpl.render_zpl(lay, c, 203),
        "zpl 300 dpi": lambda lay, c: render_zpl.render_zpl(lay, c, 300),
        "png 300 dpi": lambda lay, c: render_png.render_png(lay, c, 300),
        "png 203 dpi": lambda lay, c: render_png.render_png(lay, c, 203),
        "svg": render_svg.render_svg,
        "pdf (A4, 1 label)": render_pdf.render_pdf,
    }


def hangul_formats() -> dict[str, Callable[[Layout, LabelContent], object]]:
    """The output formats measured with names written in Hangul, by name."""
    return {
        "zpl 203 dpi Hangul": lambda lay, c: render_zpl.render_zpl(lay, c, 203),
        "zpl 300 dpi Hangul": lambda lay, c: render_zpl.render_zpl(lay, c, 300),
        "png 300 dpi Hangul": lambda lay, c: render_png.render_png(lay, c, 300),
    }


def rates(seconds: float, pool_size: int = 5000) -> dict[str, dict[str, Any]]:
    """Per format: labels per wall second and per CPU second, labels rendered, and the target (CPU rate)."""
    layout = layouts.load_layout("final_product")
    measured = [(formats(), contents(pool_size)), (hangul_formats(), contents(pool_size, hangul=True))]
    figures: dict[str, dict[str, Any]] = {}
    for table, pool in measured:
        for name, render in table.items():
            figures[name] = _figures(name, *measure(render, layout, pool, seconds))
    return figures


def _figures(name: str, wall_rate: float, cpu_rate: float, done: int) -> dict[str, Any]:
    """One format's row of figures, with its target and whether it was met."""
    target = TARGETS.get(name)
    return {
        "labels_per_s_wall": round(wall_rate, 1), "labels_per_s_cpu": round(cpu_rate, 1), "labels": done,
        "target_per_s_cpu": target, "met": None if target is None else cpu_rate >= target,
    }


def main() -> None:
    """Print a table of labels per second per format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per format (default 3)")
    args = parser.parse_args()
    layout = layouts.load_layout("final_product")
    print(f"final_product v{layout.version}, 5000 distinct labels, {args.seconds:g} s per format\n")
    print(f"{'format':<20}{'labels/s (wall)':>17}{'labels/s (CPU)':>16}{'labels':>9}{'target':>9}  met")
    for name, figures in rates(args.seconds).items():
        target = figures["target_per_s_cpu"]
        verdict = "" if target is None else ("yes" if figures["met"] else "NO")
        target_text = "" if target is None else f"{target:g}"
        print(f"{name:<20}{figures['labels_per_s_wall']:>17,.0f}{figures['labels_per_s_cpu']:>16,.0f}"
              f"{figures['labels']:>9}{target_text:>9}  {verdict}")


if __name__ == "__main__":
    main()
