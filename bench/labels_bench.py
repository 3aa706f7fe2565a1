"""Throughput of label rendering: full final-product labels per second in each output format.

Run: python bench/labels_bench.py [--seconds 3]

Each label gets its own DIN, COI and recipient, so per-label work (barcodes, variable text) is really
done; only what is shared by a print run (layout, fonts, fixed captions and statements) is reused.
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

TARGETS = {"zpl 203 dpi": 2000.0, "zpl 300 dpi": 2000.0, "png 300 dpi": 100.0}
FAMILIES = ("HONG", "KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "YOON", "SMITH", "GARCIA")
GIVEN = ("Gildong", "Minji", "Seojun", "Jiwoo", "Hana", "Anna", "Lucas", "Maria")


def contents(count: int) -> list[LabelContent]:
    """`count` distinct final-product contents (DIN, COI, recipient and expiry differ)."""
    base = label_content.preview_content()
    assert base.expires_at is not None
    made = []
    for n in range(count):
        directed = n % 5 == 0
        product = f"S1234{'2' if directed else '1'}00"
        made.append(
            dataclasses.replace(
                base,
                din=din_ids.build(fin="G1234", year=2026, sequence=n + 1),
                coi=coi_ids.build(fin="G1234", year=2026, sequence=n + 1),
                product_code=product,
                use_statement=None,
                recipient_name=label_content.format_recipient_name(
                    family=FAMILIES[n % len(FAMILIES)], given=GIVEN[n % len(GIVEN)]
                ),
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
    """The output formats measured, by name."""
    return {
        "zpl 203 dpi": lambda lay, c: render_zpl.render_zpl(lay, c, 203),
        "zpl 300 dpi": lambda lay, c: render_zpl.render_zpl(lay, c, 300),
        "png 300 dpi": lambda lay, c: render_png.render_png(lay, c, 300),
        "png 203 dpi": lambda lay, c: render_png.render_png(lay, c, 203),
        "svg": render_svg.render_svg,
        "pdf (A4, 1 label)": render_pdf.render_pdf,
    }


def rates(seconds: float, pool_size: int = 5000) -> dict[str, dict[str, Any]]:
    """Per format: labels per wall second and per CPU second, labels rendered, and the target (CPU rate)."""
    layout = layouts.load_layout("final_product")
    pool = contents(pool_size)
    figures: dict[str, dict[str, Any]] = {}
    for name, render in formats().items():
        wall_rate, cpu_rate, done = measure(render, layout, pool, seconds)
        target = TARGETS.get(name)
        figures[name] = {
            "labels_per_s_wall": round(wall_rate, 1), "labels_per_s_cpu": round(cpu_rate, 1), "labels": done,
            "target_per_s_cpu": target, "met": None if target is None else cpu_rate >= target,
        }
    return figures


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
