"""The receiving station lists the bags expected (collected or in transit, not yet received) with their receipt
windows, and lets the person pick one from the list, by scanning its label or by typing its DIN."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from batchtrack.collections import expected
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import checkchar
from batchtrack.identifiers import din as din_id
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, collected_bag, enrol_eligible, make_user, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def bags_table(page: str) -> str:
    return page.split('id="expected-bags"')[1].split("</table>")[0]


def bag_on_its_way(database: Database, settings: Settings, subject: str, *, hours_ago: float = 2.0) -> tuple[str, str]:
    """A bag collected `hours_ago` and dispatched; (DIN, COI)."""
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician, subject=subject, mrn=f"MRN-{subject}")
    return collected_bag(database, settings, clinician, coi, hours_ago=hours_ago), coi


def test_the_receipt_window_is_counted_from_collection() -> None:
    by, left = expected.receipt_window(NOW - timedelta(hours=5), 24, NOW)
    assert by == NOW + timedelta(hours=19) and left == 19.0
    assert expected.receipt_window(NOW - timedelta(hours=30), 24, NOW)[1] == -6.0
    assert expected.receipt_window(None, 24, NOW) == (None, None)


@pytest.mark.parametrize("text", ["G123417654321", "G123417654321A", "g1234 17 65 4321 a", "=G12341765432100"])
def test_a_bag_is_picked_by_its_din_with_or_without_check_character_or_by_its_label(text: str) -> None:
    assert expected.expected_din_of(text) == ("G123417654321", None)


@pytest.mark.parametrize(("text", "reason"), [
    ("G123417654321B", "The check character B does not match DIN G123417654321"),
    ("O123417654321", "O123417654321 is not a DIN"),
    ("=G1234176543", "The barcode cannot be read"),
    ("&/CHW000026000001", "holds no DIN"),
    ("hello", "The barcode cannot be read"),
])
def test_what_names_no_bag_is_refused_with_its_reason(text: str, reason: str) -> None:
    din, refusal = expected.expected_din_of(text)
    assert din is None and reason in str(refusal)


def test_nothing_typed_picks_nothing_and_refuses_nothing() -> None:
    assert expected.expected_din_of("  ") == (None, None)


def test_the_station_lists_the_bags_on_their_way_oldest_first_and_not_those_received(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    received = seed_lot(database, settings, subject="S-100", mrn="MRN-S-100")
    late, late_coi = bag_on_its_way(database, settings, "S-101", hours_ago=30)
    fresh, _ = bag_on_its_way(database, settings, "S-102", hours_ago=1)
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/receiving", headers=HTML).text
    table = bags_table(page)
    assert received.din not in table
    assert table.index(late) < table.index(fresh)
    late_row = table.split(f'id="bag-{late}"')[1].split("</tr>")[0]
    assert late_coi in late_row and "S-101" in late_row and "in transit" in late_row
    assert din_id.eye_readable(din_id.parse(late)) in late_row
    assert "closed" in late_row and "h ago" in late_row
    fresh_row = table.split(f'id="bag-{fresh}"')[1].split("</tr>")[0]
    assert "h left" in fresh_row
    assert f'href="http://testserver/receiving?expected={fresh}"' in fresh_row
    assert 'id="expected" name="expected"' in page and re.search(r'id="expected"[^>]*autofocus', page)


def test_picking_a_bag_marks_it_and_fills_the_expected_bag(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, _ = bag_on_its_way(database, settings, "S-103")
    client, _ = as_role(Role.QA)
    for picked_by in (din, din + checkchar.check_character(din), bag_scan(din)):
        page = client.get("/receiving", params={"expected": picked_by}, headers=HTML).text
        assert f'<tr id="bag-{din}" aria-current="true"' in page
        assert re.search(rf'id="expected_din" name="expected_din" value="{din}"', page)
        assert re.search(r'id="temperature_c"[^>]*autofocus', page)
        assert 'id="not-expected"' not in page


def test_a_bag_not_expected_can_still_be_typed_but_is_flagged(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    received = seed_lot(database, settings, subject="S-104", mrn="MRN-S-104")
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/receiving", params={"expected": received.din}, headers=HTML).text
    assert 'id="not-expected"' in page and received.din in page
    assert 'id="no-bags-expected"' in page


def test_a_pick_that_is_no_din_is_refused_with_its_reason_not_a_500(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    response = client.get("/receiving", params={"expected": "G123417654321B"}, headers=HTML)
    assert response.status_code == 422
    assert "The check character B does not match DIN G123417654321" in response.text


def test_a_receipt_takes_the_expected_bag_with_its_check_character_and_the_bag_leaves_the_list(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, _ = bag_on_its_way(database, settings, "S-105")
    other, _ = bag_on_its_way(database, settings, "S-106")
    client, _ = as_role(Role.OPERATOR)
    form = client.get("/receiving", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = client.post("/receiving", headers=HTML, data={
        "expected_din": din + checkchar.check_character(din), "scan": bag_scan(din), "temperature_c": "20",
        "bag_intact": "on", "seal_intact": "on", "label_legible": "on", "no_clots": "on", "decision": "accept",
        "csrf_token": token.group(1)})
    assert response.status_code == 201 and "ACCEPTED" in response.text
    table = bags_table(response.text)
    assert din not in table and other in table


def test_a_receipt_with_an_expected_bag_that_is_no_din_is_refused_with_its_reason(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, _ = bag_on_its_way(database, settings, "S-107")
    client, _ = as_role(Role.OPERATOR)
    form = client.get("/receiving", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = client.post("/receiving", headers=HTML, data={
        "expected_din": "G123417654321B", "scan": bag_scan(din), "temperature_c": "20", "decision": "accept",
        "csrf_token": token.group(1)})
    assert response.status_code == 400 and "does not match DIN G123417654321" in response.text
