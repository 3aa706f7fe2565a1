"""ZPL goes raw over TCP to the printer; a printer that cannot be reached is a clear refusal, not a print."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Protocol

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from batchtrack import labels
from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import content_builder, layouts, printing
from batchtrack.lots import service as lot_service
from batchtrack.models.label import LabelPrint
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot
from capture_printer import CapturingPrinter

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


class Printer(Protocol):
    """The capturing printer of conftest.py: a TCP server on 127.0.0.1 that keeps each connection's bytes."""

    port: int
    address: str

    def wait(self, count: int = 1) -> list[bytes]: ...


def _closed_port() -> int:
    # Bind a port, then release it: nothing listens there, so a connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])



def test_send_zpl_delivers_exactly_the_bytes(printer: CapturingPrinter) -> None:
    zpl = labels.render_label("culture_vessel", labels.content.preview_content(), "zpl")
    printing.send_zpl("127.0.0.1", printer.port, zpl, timeout=5)
    assert printer.wait() == [zpl]


def test_a_refused_connection_is_a_clear_error() -> None:
    port = _closed_port()
    with pytest.raises(printing.PrinterUnavailable) as refused:
        printing.send_zpl("127.0.0.1", port, b"^XA^XZ", timeout=2)
    assert refused.value.status_code == 503 and refused.value.code == "printer.refused"
    assert f"127.0.0.1:{port}" in refused.value.message and refused.value.reasons


@pytest.mark.parametrize(("text", "expected"), [
    ("10.0.0.15:9100", "10.0.0.15:9100"), ("zebra-bsc2.lab.example:6101", "zebra-bsc2.lab.example:6101"),
    ("zebra-3", "zebra-3:9100"), ("[::1]:9100", "[::1]:9100"),
])
def test_a_printer_is_named_by_host_and_port(text: str, expected: str) -> None:
    assert str(printing.parse_printer(text)) == expected


@pytest.mark.parametrize("text", ["", "host:0", "host:65536", "host:port", "bad host:9100", "a:b:c", "[::1",
                                  "-lead.example:9100", "printer/../x:9100"])
def test_a_malformed_printer_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        printing.parse_printer(text)


def _lot_with_vessels(database: Database, settings: Settings, as_role: ClientFactory) -> tuple[str, TestClient]:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR)
    assert operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "culture_vessel", "count": 2}) \
        .status_code == 201
    return lot.din, operator


def test_a_print_sent_to_the_printer_is_the_zpl_of_its_labels_and_is_recorded(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator = _lot_with_vessels(database, settings, as_role)
    response = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "zpl", "dpi": 300, "printer": printer.address})
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["sent_to"] == printer.address and result["documents"] == []
    assert result["job"]["printer"] == printer.address
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        vessels = [c for c in lot_service.containers_of(session=session, lot=lot) if c.kind == "culture_vessel"]
        sources = content_builder.load_sources(session=session, therapy_id=lot.therapy_id,
                                               expires_at=lot.expires_at, containers=vessels)
    layout = layouts.load_layout("culture_vessel")
    expected = b"".join(labels.render(layout, content_builder.assemble(s, settings=settings), "zpl", 300)
                        for s in sources)
    [captured] = printer.wait()
    assert captured == expected
    assert captured.count(b"^XA") == 2 and captured.count(b"^XZ") == 2


def test_a_printer_that_refuses_gives_503_with_a_reason_and_no_print_is_recorded(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator = _lot_with_vessels(database, settings, as_role)
    with database.transaction(write=False) as session:
        prints = session.execute(select(func.count()).select_from(LabelPrint)).scalar_one()
    port = _closed_port()
    settings.printers = [*settings.printers, f"127.0.0.1:{port}"]  # configured, but switched off
    response = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "zpl", "printer": f"127.0.0.1:{port}"})
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "printer.refused" and body["reasons"][0]["code"] == "printer.refused"
    with database.transaction(write=False) as session:
        assert session.execute(select(func.count()).select_from(LabelPrint)).scalar_one() == prints
        entry = audit_service.entries_for(session=session, entity_type="lot", entity_id=din)[-1]
    assert entry.action == "label.print_failed"
    assert json.loads(entry.new_values)["printer"] == f"127.0.0.1:{port}"
    # Nothing was printed, so the next attempt is a first print, not a reprint.
    listing = operator.get(f"/api/v1/lots/{din}/labels").json()
    assert [label for label in listing if label["container_kind"] == "culture_vessel"] == []


def test_only_zpl_goes_to_a_printer_and_its_address_must_be_a_host_and_port(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator = _lot_with_vessels(database, settings, as_role)
    png = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "png", "printer": "127.0.0.1:9100"})
    assert png.status_code == 400 and png.json()["error"] == "label.printer_needs_zpl"
    malformed = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "zpl", "printer": "127.0.0.1:99999"})
    assert malformed.status_code == 422


def test_a_printer_that_is_not_configured_is_never_contacted(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator = _lot_with_vessels(database, settings, as_role)
    settings.printers = []  # the capturing printer listens, but the installation does not know it
    with database.transaction(write=False) as session:
        prints = session.execute(select(func.count()).select_from(LabelPrint)).scalar_one()
    response = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "zpl", "printer": printer.address})
    assert response.status_code == 400 and response.json()["error"] == "printer.not_configured"
    assert printer.wait(0) == []
    with database.transaction(write=False) as session:
        assert session.execute(select(func.count()).select_from(LabelPrint)).scalar_one() == prints


def test_a_station_name_sends_the_labels_to_that_stations_printer(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator = _lot_with_vessels(database, settings, as_role)
    settings.printers = []
    settings.station_printers = {"BSC-2": printer.address}
    response = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "zpl", "station": "BSC-2"})
    assert response.status_code == 201, response.text
    assert response.json()["sent_to"] == printer.address
    assert printer.wait()[0].count(b"^XA") == 2
    unknown = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "culture_vessel", "format": "zpl", "station": "BSC-9", "reason": "second copy"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "printer.station_unknown"
