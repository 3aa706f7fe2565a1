"""A therapy's journey: milestones judged against the protocol's own limits, hand-over temperatures against its
transport range, and the growth curve against the product's earlier lots."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conftest import api_client
from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.protocols import definition
from batchtrack.therapies import journey, journey_svg

from coi_report_builders import HANDOVERS, infused_therapy

HTML = {"accept": "text/html"}
KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}
LIMITS = definition.load("KCT0004337").limits
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _counts(*points: tuple[str, float, float], started: float = -2) -> list[journey.CountRow]:
    """Counts at steps `day` days after T0, of a lot whose processing started `started` days after T0."""
    return [journey.CountRow(code, _at(day * 24), cells, _at(started * 24)) for code, day, cells in points]


def test_receipt_and_processing_are_judged_against_the_protocols_limits() -> None:
    late = LIMITS.max_hours_collection_to_receipt + 1
    rows = journey.JourneyRows(
        limits=LIMITS, collected_at=_at(0), received_at=_at(late),
        steps=[journey.StepRow("isolation", "isolation", "Isolation", _at(late + 1), None),
               journey.StepRow("passage_1", "passage", "Passage", _at(200), None),
               journey.StepRow("passage_2", "passage", "Passage", _at(300), None)],
    )
    by_key = {m.key: m for m in journey.milestones(rows)}
    assert by_key["receipt"].within is False and by_key["receipt"].limit_hours == LIMITS.max_hours_collection_to_receipt
    assert by_key["receipt"].hours_since_previous == late
    processing = by_key["processing"]
    assert processing.limit_hours == LIMITS.max_hours_collection_to_processing
    assert processing.within is ((late + 1) <= LIMITS.max_hours_collection_to_processing)
    assert [k for k in by_key if k.startswith("passage")] == ["passage-1", "passage-2"]
    assert by_key["infusion"].at is None and by_key["release"].at is None


def test_an_infusion_after_the_expiry_is_marked_outside() -> None:
    rows = journey.JourneyRows(limits=LIMITS, transitions={"receive_at_clinic": _at(10)}, expires_at=_at(11),
                               infused_at=_at(12))
    infusion = journey.milestones(rows)[-1]
    assert infusion.key == "infusion" and infusion.within is False and infusion.limit_hours == -1


def test_a_temperature_outside_the_transport_range_is_marked() -> None:
    rows = journey.JourneyRows(limits=LIMITS, hand_overs=[
        journey.HandOverRow(_at(2), "dock", LIMITS.transport_temperature_max_c + 3),
        journey.HandOverRow(_at(1), "bench", LIMITS.transport_temperature_min_c),
        journey.HandOverRow(_at(3), "ward", None)])
    points = journey.temperatures(rows)
    assert [(p.place, p.within) for p in points] == [("bench", True), ("dock", False)]
    received = journey.JourneyRows(limits=LIMITS, received_at=_at(1), receipt_temperature_c=4.0,
                                   hand_overs=[journey.HandOverRow(_at(1), "receiving", 4.0)])
    assert [p.place for p in journey.temperatures(received)] == ["receiving"]  # the same reading, once
    svg = journey_svg.temperatures(points, LIMITS.transport_temperature_min_c, LIMITS.transport_temperature_max_c)
    assert svg.count('class="outside"') == 1 and "style=" not in svg and "<script" not in svg


def test_the_growth_band_spans_the_earlier_lots_at_each_step() -> None:
    earlier = [_counts(("passage_1", 0, 1e6), ("passage_2", 7, 2e7), started=-1),
               _counts(("passage_1", 0, 3e6), ("passage_2", 9, 5e7), started=-3), []]
    rows = journey.JourneyRows(limits=LIMITS, counts=_counts(("passage_1", 0, 2e6), ("passage_2", 8, 4e7)),
                               earlier_counts=earlier)
    facts = journey.assemble(rows)
    assert [(b.step_code, b.days, b.low, b.high, b.lots) for b in facts.band] == [
        ("passage_1", 2.0, 1e6, 3e6, 2), ("passage_2", 10.0, 2e7, 5e7, 2)]
    assert facts.earlier_lots == 2
    assert [(p.step_code, p.days) for p in facts.growth] == [("passage_1", 2.0), ("passage_2", 10.0)]
    svg = journey_svg.growth(facts.growth, facts.band)
    assert "<polygon" in svg and "style=" not in svg


def test_the_journey_page_shows_an_infused_therapys_milestones_temperatures_and_growth(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    built = infused_therapy(database, settings)
    client = api_client(app, built.investigator)
    therapy = client.get(f"/therapies/{built.coi}", headers=HTML)
    assert f'/therapies/{built.coi}/journey" id="journey-link"' in therapy.text
    page = client.get(f"/therapies/{built.coi}/journey", headers=HTML)
    assert page.status_code == 200, page.text
    for key in ("enrolment", "collection", "receipt", "processing", "harvest", "formulation", "release",
                "bedside", "infusion"):
        found = re.search(rf'class="milestone (\w+)" id="milestone-{key}"', page.text)
        assert found and found.group(1) != "pending", key
    table = re.search(r'<table id="temperature-table">(.*?)</table>', page.text, re.S)
    assert table is not None
    for place, _temperature in HANDOVERS:
        assert place in table.group(1)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="journey-chart" id="temperature-chart"' in page.text
    assert 'id="growth-chart"' in page.text and '<table id="growth-table">' in page.text
    korean = client.get(f"/therapies/{built.coi}/journey", headers=KOREAN)
    assert korean.status_code == 200 and "Milestones" not in korean.text


def test_an_unknown_therapy_has_no_journey(app: FastAPI, database: Database, settings: Settings) -> None:
    built = infused_therapy(database, settings)
    response = api_client(app, built.investigator).get("/therapies/CH0000000000009/journey", headers=HTML)
    assert response.status_code in (404, 422)
