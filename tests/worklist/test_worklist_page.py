"""The home page opens on the signed-in user's own work, in English and in Korean, in the site's time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.protocols import definition

from builders import PROTOCOL, collected_bag, enrol_eligible, make_user
from deviation_builders import HTML, open_deviation, sign_in
from quality_builders import enter, lot_in_qc

KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: its times in Seoul."""
    settings.display_timezone = "Asia/Seoul"
    return settings


def _section(page: str, kind: str) -> str:
    match = re.search(rf'<section class="worklist-section" id="work-{kind}".*?</section>', page, re.S)
    assert match, kind
    return match.group(0)


def test_qa_opens_on_the_deviation_the_preliminary_sterility_and_the_release_conditions(
        client: TestClient, database: Database, settings: Settings) -> None:
    qc = lot_in_qc(database, settings)
    enter(database, qc, "sterility", text="no growth", status="preliminary", day=7)
    number = open_deviation(database, qc.din, qc.analyst)
    sign_in(client, qc.qa)
    page = client.get("/", headers=HTML).text

    assert page.index('id="my-work"') < page.index("Therapies by state")
    deviations = _section(page, "deviation_open")
    assert f'href="/deviations/{number}"' in deviations and "open for 0 min" in deviations
    results = _section(page, "qc_results_due")
    assert f'href="/lots/{qc.din}/qc"' in results
    assert "Sterility (14 days): preliminary at day 7; final result due" in results
    assert " KST (6 d 23 h left)" in results
    release = _section(page, "release_awaiting")
    assert f'href="/lots/{qc.din}/release"' in release and "1 deviation(s) still open" in release
    assert "infusion_planned" not in page


def test_the_list_reads_in_korean_with_countdowns_in_the_sites_time(
        client: TestClient, database: Database, settings: Settings) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    din = collected_bag(database, settings, clinician, coi, hours_ago=1.0)
    operator = make_user(database, Role.OPERATOR)
    sign_in(client, operator)
    page = client.get("/", headers=KOREAN).text
    assert "내 업무" in page and "운송 중인 백" in page
    bags = _section(page, "bag_in_transit")
    assert f"골수 흡인물 백 {din} 입고 (치료 {coi})" in bags and f'href="/receiving?expected={din}"' in bags
    hours = definition.load(PROTOCOL).limits.max_hours_collection_to_receipt
    left = timedelta(hours=hours - 1)
    found = re.search(r"기한 \d{4}-\d\d-\d\d \d\d:\d\d KST \((?:(\d+)일 )?(\d+)시간 (\d+)분 남음\)", bags)
    assert found, bags
    days, hours_left, minutes = (int(g or 0) for g in found.groups())
    shown = timedelta(days=days, hours=hours_left, minutes=minutes)
    assert left - timedelta(minutes=2) <= shown <= left
    assert "진행 중인 공정 단계가 없습니다." in _section(page, "step_open")


def test_an_empty_list_says_what_will_appear_there(client: TestClient, database: Database) -> None:
    nurse = make_user(database, Role.NURSE)
    sign_in(client, nurse)
    page = client.get("/", headers=HTML).text
    assert "No product is waiting for infusion. A released lot appears here until it is infused" in page
    assert "No alert is waiting." in page
    assert "bag_in_transit" not in page
