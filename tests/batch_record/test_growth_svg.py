"""The growth curve drawing: well-formed, accessible SVG with one point per growth point, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from batchtrack.batch_record import growth_svg
from batchtrack.processing import growth
from batchtrack.processing.growth import GrowthCounts

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _points() -> list[growth.GrowthPoint]:
    counts = [
        GrowthCounts("passage_1", START + timedelta(days=7), harvested=1.2e7, seeded=1e6),
        GrowthCounts("passage_2", START + timedelta(days=14), harvested=8e6, seeded=1e6),
        GrowthCounts("passage_3", START + timedelta(days=20), harvested=1.6e7, seeded=1e6),
        GrowthCounts("harvest", START + timedelta(days=27), harvested=4e6, seeded=None),
    ]
    return growth.curve(counts, START)


def test_the_curve_numbers_are_population_doublings_summed_over_passages() -> None:
    points = _points()
    assert [round(p.population_doublings, 9) for p in points] == [3.0, 4.0, 2.0]
    assert [round(p.cumulative_doublings, 9) for p in points] == [3.0, 7.0, 9.0]


def test_the_svg_is_well_formed_with_one_circle_per_point_and_a_line_through_them() -> None:
    points = _points()
    root = ET.fromstring(growth_svg.render(points, title="Growth curve of lot W000026000001"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == len(points)
    [line] = root.findall(f".//{SVG}polyline")
    assert len(line.get("points", "").split()) == len(points)
    # Higher cumulative doublings sit higher on the drawing (smaller y), later days further right.
    xs = [float(c.get("cx", "0")) for c in circles]
    ys = [float(c.get("cy", "0")) for c in circles]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)


def test_the_svg_has_a_title_a_description_and_labelled_axes() -> None:
    svg = growth_svg.render(_points(), title="Growth curve of lot W000026000001",
                            labels={"passage_2": "Passage 2 (P2)"})
    root = ET.fromstring(svg)
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "Growth curve of lot W000026000001"
    assert desc is not None and desc.text is not None and "Passage 2 (P2): day 14.0" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Days since the first step" in texts and "Cumulative population doublings" in texts
    assert "0" in texts and "9" not in texts and "10" in texts  # y ticks up to a round 10 above CPD 9


def test_all_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & more'
    svg = growth_svg.render(_points(), title=hostile, labels={"passage_1": hostile})
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == hostile
    assert root.find(f".//{SVG}script") is None


def test_no_point_draws_a_clear_empty_state() -> None:
    root = ET.fromstring(growth_svg.render([], title="Growth curve"))
    assert root.findall(f".//{SVG}circle") == [] and root.findall(f".//{SVG}polyline") == []
    assert "No growth data yet" in [t.text for t in root.iter(f"{SVG}text")]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None and desc.text.startswith("No growth data yet")


def test_one_point_is_drawn_without_failing() -> None:
    [point] = _points()[:1]
    root = ET.fromstring(growth_svg.render([point]))
    assert len(root.findall(f".//{SVG}circle")) == 1


def test_ticks_are_round_and_cover_the_range() -> None:
    assert growth_svg.ticks(0, 21) == [0, 5, 10, 15, 20, 25]
    assert growth_svg.ticks(0, 5) == [0, 1, 2, 3, 4, 5]
    negative = growth_svg.ticks(-0.4, 3)
    assert negative[0] <= -0.4 and negative[-1] >= 3
