"""The lot page's timeline is grouped by stage, each folded group naming its count, and a stage can be picked
with a plain link (no script); the raw trail is left to the audit review."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conftest import api_client
from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import schemas, timeline_stages
from batchtrack.models.user import Role

from builders import make_user, seed_lot

HTML = {"accept": "text/html"}
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _event(action: str, minutes: int, kind: str = "audit") -> schemas.TimelineEvent:
    return schemas.TimelineEvent(at=T0 + timedelta(minutes=minutes), kind=kind,  # type: ignore[arg-type]
                                 summary=action, actor="A", detail="")


def test_events_fall_into_the_stages_of_the_chain_in_its_order() -> None:
    events = [_event("lot.infuse", 9), _event("collection.collect", 0), _event("collection.accept", 1),
              _event("step.started", 2), _event("qc.result_entered", 3), _event("lot.release", 4),
              _event("label.applied", 5), _event("container 3 handed over", 6, "custody"),
              _event("bedside.checked", 8), _event("lot.harvest", 3)]
    groups = timeline_stages.group(events)
    assert [(g.stage, g.count) for g in groups] == [
        ("collection", 1), ("receipt", 1), ("processing", 2), ("qc", 1), ("release", 1), ("labels", 1),
        ("custody", 1), ("bedside", 2)]
    assert [e.summary for e in groups[2].events] == ["step.started", "lot.harvest"]
    assert not any(g.open for g in groups)


def test_a_chosen_stage_is_shown_alone_and_open() -> None:
    events = [_event("collection.collect", 0), _event("label.applied", 5), _event("label.voided", 6)]
    (labels,) = timeline_stages.group(events, only="labels")
    assert labels.open and labels.count == 2
    assert timeline_stages.group(events, only="bedside") == []


def test_the_lot_page_folds_its_timeline_by_stage_and_filters_by_a_link(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    client = api_client(app, make_user(database, Role.OPERATOR))
    page = client.get(f"/lots/{lot.din}", headers=HTML)
    assert page.status_code == 200, page.text
    groups = re.findall(r'<details class="stage-group" id="stage-([a-z]+)"( open)?>', page.text)
    assert ("collection", "") in groups and ("receipt", "") in groups
    assert re.search(r'id="stage-link-receipt"[^>]*>Receipt at the lab \(\d+\)</a>', page.text)
    assert 'id="audit-trail-link"' not in page.text  # the audit review is QA's
    qa_page = api_client(app, make_user(database, Role.QA)).get(f"/lots/{lot.din}", headers=HTML).text
    assert re.search(rf'href="[^"]*/audit\?lot={lot.din}" id="audit-trail-link"', qa_page)

    receipt = client.get(f"/lots/{lot.din}?stage=receipt", headers=HTML)
    assert receipt.status_code == 200
    assert re.findall(r'<details class="stage-group" id="stage-([a-z]+)"( open)?>', receipt.text) == [
        ("receipt", " open")]
    assert "collection.accept" in receipt.text and "collection.collect" not in receipt.text


def test_an_unknown_stage_is_refused_with_its_reason(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    response = api_client(app, make_user(database, Role.OPERATOR)).get(f"/lots/{lot.din}?stage=everything")
    assert response.status_code == 422
    assert "stage" in response.text
