"""The processing screen serves a workstation chosen from the biosafety cabinets of the equipment register, or named
by scanning the cabinet's label; a name that matches no cabinet is refused with a reason, never taken as typed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, delete, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.equipment import Equipment, EquipmentKind
from batchtrack.models.user import Role
from batchtrack.processing import workstations
from batchtrack.processing.workstations import RegisterEntry

from builders import UserHandle, seed_lot
from processing_builders import add_instrument, bag_scan, open_bench

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
# "BSC-0002" as a scanner types it into a Korean IME left in Hangul mode (B ㅠ, S ㄴ, C ㅊ).
HANGUL_MODE = "ㅠㄴㅊ-0002"


def choose(client: TestClient, text: str) -> tuple[int, str]:
    response = client.get("/processing", params={"station": text}, headers=HTML, follow_redirects=False)
    return response.status_code, response.headers.get("location", "") or response.text


@pytest.fixture
def cabinets(database: Database) -> None:
    add_instrument(database, EquipmentKind.BIOSAFETY_CABINET, "BSC-0002")
    add_instrument(database, EquipmentKind.BIOSAFETY_CABINET, "BSC-0003")
    add_instrument(database, EquipmentKind.INCUBATOR, "INC-0009")
    add_instrument(database, EquipmentKind.BIOSAFETY_CABINET, "BSC-0004")
    with database.transaction() as session:
        retired = session.execute(select(Equipment).where(col(Equipment.code) == "BSC-0004")).scalar_one()
        retired.active = False
        session.add(retired)


@pytest.mark.parametrize(("text", "tag"), [
    ("BSC-0002", "BSC-0002"), (" bsc-0002\r\n", "BSC-0002"), (HANGUL_MODE, "BSC-0002"),
    ("\x02BSC-0002\x03", "BSC-0002"), ("", ""), ("\r", ""),
])
def test_a_cabinets_label_is_read_as_its_asset_tag(text: str, tag: str) -> None:
    assert workstations.label_read(text) == tag


def test_only_an_active_biosafety_cabinet_may_name_a_workstation() -> None:
    cabinet = RegisterEntry(EquipmentKind.BIOSAFETY_CABINET, active=True)
    assert workstations.choice_refusal("BSC-0002", cabinet) is None
    assert "No workstation is registered under BSC-7" in str(workstations.choice_refusal("BSC-7", None))
    assert "is an instrument, not a workstation's biosafety cabinet" in str(
        workstations.choice_refusal("INC-0009", RegisterEntry(EquipmentKind.INCUBATOR, active=True)))
    assert "out of service" in str(
        workstations.choice_refusal("BSC-0004", RegisterEntry(EquipmentKind.BIOSAFETY_CABINET, active=False)))
    assert "Nothing was scanned or typed" in str(workstations.choice_refusal("", None))


@pytest.mark.usefixtures("cabinets")
def test_the_chooser_lists_the_active_cabinets_and_the_lot_open_at_each(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    bench = open_bench(database, settings, station="BSC-0003", with_stock=False)
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/processing", headers=HTML).text
    table = page.split('id="workstations"')[1].split("</table>")[0]
    assert "BSC-0002" in table and "BSC-0003" in table
    assert "INC-0009" not in table and "BSC-0004" not in table
    row = table.split("BSC-0003")[2].split("</tr>")[0]
    assert bench.lot.din in row
    assert 'href="http://testserver/processing/BSC-0002"' in table


@pytest.mark.usefixtures("cabinets")
@pytest.mark.parametrize("text", ["BSC-0002", "bsc-0002", HANGUL_MODE, "BSC-0002\r"])
def test_scanning_a_cabinets_label_opens_its_workstation(as_role: ClientFactory, text: str) -> None:
    client, _ = as_role(Role.OPERATOR)
    assert choose(client, text) == (303, "http://testserver/processing/BSC-0002")


@pytest.mark.usefixtures("cabinets")
@pytest.mark.parametrize(("text", "reason"), [
    ("BSC-7", "No workstation is registered under BSC-7"),
    ("my bench", "No workstation is registered under MY BENCH"),
    ("<script>", "No workstation is registered under"),
    ("INC-0009", "INC-0009 is an instrument, not a workstation&#39;s biosafety cabinet"),
    ("BSC-0004", "BSC-0004 is out of service"),
    ("", "Nothing was scanned or typed"),
    ("x" * 300, "No workstation is registered under XXXXXXXXXXXXXXXXXXXX:"),
])
def test_a_name_that_is_no_registered_cabinet_is_refused_with_its_reason(
    as_role: ClientFactory, text: str, reason: str
) -> None:
    client, _ = as_role(Role.OPERATOR)
    status, page = choose(client, text)
    assert status == 404 and reason in page
    assert 'id="workstations"' in page  # the list to choose from stays on screen


def test_a_workstation_a_lot_is_still_open_at_is_listed_and_reachable_though_not_registered(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    bench = open_bench(database, settings, station="BSC-9", with_stock=False)
    # A lot opened before lots were opened only at registered cabinets: its workstation is in no register.
    with database.transaction() as session:
        session.execute(delete(Equipment).where(col(Equipment.code) == "BSC-9"))
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/processing", headers=HTML).text
    assert "BSC-9" in page and bench.lot.din in page and "not in the equipment register" in page
    assert choose(client, "bsc-9") == (303, "http://testserver/processing/BSC-9")
    workstation = client.get("/processing/BSC-9", headers=HTML).text
    assert 'id="unregistered-workstation"' in workstation


def test_an_empty_register_says_how_workstations_appear(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/processing", headers=HTML).text
    assert 'id="no-workstations"' in page and "equipment register" in page


@pytest.mark.usefixtures("cabinets")
def test_a_registered_workstations_page_carries_no_warning(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/processing/BSC-0002", headers=HTML).text
    assert 'id="unregistered-workstation"' not in page and "No lot is open at this workstation." in page


@pytest.mark.usefixtures("cabinets")
@pytest.mark.parametrize(("station", "reason"), [
    ("FREE-TEXT-1", "No workstation is registered under FREE-TEXT-1"),
    ("INC-0009", "INC-0009 is an instrument, not a workstation's biosafety cabinet"),
    ("BSC-0004", "BSC-0004 is out of service"),
])
def test_the_api_opens_a_lot_only_at_an_active_registered_cabinet(
    database: Database, settings: Settings, as_role: ClientFactory, station: str, reason: str
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    refused = client.post(f"/api/v1/workstations/{station}/lot", json={"scan": bag_scan(lot.din)})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["error"] == "gate_refused"
    assert [r["code"] for r in body["reasons"]] == ["station.not_a_workstation"] and reason in refused.text
    assert client.get(f"/api/v1/workstations/{station}").json()["lot_din"] is None  # nothing was opened there
    opened = client.post("/api/v1/workstations/BSC-0002/lot", json={"scan": bag_scan(lot.din)})
    assert opened.status_code == 200 and opened.json()["lot_din"] == lot.din
