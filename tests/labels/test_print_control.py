"""Label print control through the API: what a print records, reprints, voids, and apply-and-verify.

Final-product labels carry the recipient's name and date of birth, which the operator may not see: they go
to a (capturing) Zebra printer, and the tests read what was printed from the printer and the API's records.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import layouts, render_zpl, symbols
from batchtrack.models.label import Label, LabelPrint
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, UserHandle, seed_lot
from capture_printer import CapturingPrinter

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
# The layouts' product description field holds 41 characters at its smallest size.




def _lot(database: Database, settings: Settings, as_role: ClientFactory, *, kind: str = "final_product",
         count: int = 1, expiry: bool = True) -> tuple[str, TestClient, UserHandle, list[dict[str, Any]]]:
    lot = seed_lot(database, settings)
    operator, user = as_role(Role.OPERATOR)
    containers = operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": kind, "count": count})
    assert containers.status_code == 201, containers.text
    if expiry:
        qa, _ = as_role(Role.QA)
        moment = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
        assert qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": moment.isoformat()}).status_code == 200
    return lot.din, operator, user, containers.json()


def _prints(database: Database) -> int:
    with database.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(LabelPrint)).scalar_one())


def _print(client: TestClient, din: str, ids: list[int], fmt: str = "png", **extra: Any) -> Any:
    return client.post(f"/api/v1/lots/{din}/labels", json={"container_ids": ids, "format": fmt, **extra})


def _to_printer(client: TestClient, din: str, ids: list[int], printer: CapturingPrinter, **extra: Any) -> Any:
    return _print(client, din, ids, "zpl", printer=printer.address, **extra)


def _label_formats(zpl: bytes) -> list[str]:
    """The label formats (^XA ... ^XZ) of a print job as the printer received it."""
    return re.findall(r"\^XA.*?\^XZ", zpl.decode("ascii"), flags=re.DOTALL)


def _zpl_field(symbology: str, data: str) -> str:
    """The ^FD field a barcode with this data is printed from."""
    if symbology == "code128":
        return render_zpl.code128_field(symbols.make_symbol("code128", data))
    return render_zpl.fh_escape(data)


def _compound(label: dict[str, Any]) -> str:
    return str(next(b["data"] for b in label["barcodes"].values() if b["data"].startswith("=+")))


def test_a_print_records_template_version_who_when_and_how_many(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, user, bags = _lot(database, settings, as_role, count=2)
    before = datetime.now(UTC)
    response = _to_printer(operator, din, [bag["id"] for bag in bags], printer)
    assert response.status_code == 201, response.text
    result = response.json()
    job = result["job"]
    version = layouts.list_versions("final_product")[-1]
    assert job["template_kind"] == "final_product" and job["template_version"] == version
    assert job["printed_by"] == user.principal.full_name
    assert before - timedelta(seconds=5) <= datetime.fromisoformat(job["printed_at"]) <= datetime.now(UTC)
    assert job["copies"] == 2 and job["is_reprint"] is False and job["output_format"] == "zpl"
    assert job["printer"] == printer.address and result["sent_to"] == printer.address
    assert [label["container_id"] for label in job["labels"]] == [bag["id"] for bag in bags]
    assert {label["status"] for label in job["labels"]} == {"printed"}
    # The printer received one label per container, each of the recorded template version and carrying
    # exactly the barcode data recorded for that label.
    [zpl] = printer.wait()
    formats = _label_formats(zpl)
    assert len(formats) == 2
    for label, printed in zip(job["labels"], formats, strict=True):
        assert f"^FXbatchtrack final_product v{version}^FS" in printed
        assert f"=<{bag_code(bags, label['container_id'])}" in {b["data"] for b in label["barcodes"].values()}
        for barcode in label["barcodes"].values():
            assert f"^FD{_zpl_field(barcode['symbology'], barcode['data'])}^FS" in printed
    with database.transaction(write=False) as session:
        stored = session.get(LabelPrint, job["id"])
        assert stored is not None
        assert (stored.template_kind, stored.copies, stored.printed_by) == ("final_product", 2,
                                                                             user.principal.user_id)
        rows = session.execute(select(Label).where(Label.print_id == job["id"]).order_by(Label.id)).scalars().all()
        assert [json.loads(r.barcode_data) for r in rows] == [label["barcodes"] for label in job["labels"]]
        entry = audit_service.entries_for(session=session, entity_type="lot", entity_id=din)[-1]
    assert entry.action == "label.printed" and json.loads(entry.new_values)["print_id"] == job["id"]


def bag_code(bags: list[dict[str, Any]], container_id: int) -> str:
    """The 8-character product code of a product bag: its 6 characters and its division."""
    bag = next(b for b in bags if b["id"] == container_id)
    return str(bag["product_code"] + bag["division"])


def test_the_documents_of_a_print_decode_to_exactly_the_data_recorded_for_each_label(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, _, vessels = _lot(database, settings, as_role, kind="culture_vessel", count=2, expiry=False)
    response = _print(operator, din, [vessel["id"] for vessel in vessels])
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["sent_to"] is None and len(result["documents"]) == 2
    # Each returned PNG decodes, with an independent reader, to exactly the data recorded for its label.
    for label, document, vessel in zip(result["job"]["labels"], result["documents"], vessels, strict=True):
        assert label["container_id"] == vessel["id"]
        image = Image.open(io.BytesIO(base64.b64decode(document["content_base64"])))
        decoded = Counter(r.text for r in zxingcpp.read_barcodes(image.convert("L")))
        assert decoded == Counter(b["data"] for b in label["barcodes"].values())
        assert f"={din}{vessel['sample_flag']}" in decoded


def test_a_reprint_without_a_reason_is_refused_and_with_one_is_recorded(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, _, bags = _lot(database, settings, as_role)
    first = _to_printer(operator, din, [bags[0]["id"]], printer).json()["job"]["labels"][0]
    prints = _prints(database)
    refused = _to_printer(operator, din, [bags[0]["id"]], printer)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "label.reprint_reason_required"
    assert any(f"#{first['id']}" in r["message"] for r in body["reasons"])
    assert _prints(database) == prints
    with database.transaction(write=False) as session:
        assert audit_service.entries_for(session=session, entity_type="lot", entity_id=din)[-1].action == \
            "label.reprint_refused"
    reprint = _to_printer(operator, din, [bags[0]["id"]], printer, reason="label smudged during handling")
    assert reprint.status_code == 201, reprint.text
    job = reprint.json()["job"]
    assert job["is_reprint"] is True and job["reprint_reason"] == "label smudged during handling"
    assert job["labels"][0]["barcodes"] == first["barcodes"]
    # The printer received the first label and its reprint, the same label again.
    original, again = printer.wait(2)
    assert again == original
    # The first label still exists until it is voided or destroyed.
    assert operator.get(f"/api/v1/labels/{first['id']}").json()["status"] == "printed"


def test_voiding_a_label_needs_a_reason_and_is_final(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, _, vessels = _lot(database, settings, as_role, kind="culture_vessel", expiry=False)
    label = _print(operator, din, [vessels[0]["id"]], "svg").json()["job"]["labels"][0]
    refused = operator.post(f"/api/v1/labels/{label['id']}/void", json={"reason": "  "})
    assert refused.status_code == 400 and refused.json()["error"] == "reason_required"
    assert operator.get(f"/api/v1/labels/{label['id']}").json()["status"] == "printed"
    voided = operator.post(f"/api/v1/labels/{label['id']}/void", json={"reason": "misprint: text cut off"})
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided" and voided.json()["closed_reason"] == "misprint: text cut off"
    again = operator.post(f"/api/v1/labels/{label['id']}/destroy", json={"reason": "shredded"})
    assert again.status_code == 409 and again.json()["error"] == "label.closed"
    # With its only label voided, the container is labelled afresh without a reason: not a reprint.
    fresh = _print(operator, din, [vessels[0]["id"]], "svg")
    assert fresh.status_code == 201 and fresh.json()["job"]["is_reprint"] is False


def test_applying_a_label_with_a_scan_of_that_label_on_its_container_verifies_it(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, user, bags = _lot(database, settings, as_role)
    printed = _to_printer(operator, din, [bags[0]["id"]], printer).json()["job"]["labels"][0]
    # The operator scans the label on the bag; its barcodes are those recorded when it was printed.
    label = operator.get(f"/api/v1/labels/{printed['id']}").json()
    assert label["status"] == "printed" and label["container_id"] == bags[0]["id"]
    applied = operator.post(f"/api/v1/labels/{label['id']}/apply", json={"scan": _compound(label) + "\r\n"})
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert body["status"] == "applied" and body["verified_at"] and body["applied_by"] == user.principal.full_name
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="container", entity_id=bags[0]["id"])[-1]
    assert entry.action == "label.applied"


def test_applying_a_label_with_another_containers_label_is_refused_audited_and_changes_nothing(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, _, bags = _lot(database, settings, as_role, count=2)
    labels = _to_printer(operator, din, [bag["id"] for bag in bags], printer).json()["job"]["labels"]
    mine, other = labels
    refused = operator.post(f"/api/v1/labels/{mine['id']}/apply", json={"scan": _compound(other)})
    assert refused.status_code == 409
    codes = {r["code"] for r in refused.json()["reasons"]}
    assert {"label.wrong_container", "label.scan_not_this_label"} <= codes
    assert operator.get(f"/api/v1/labels/{mine['id']}").json()["status"] == "printed"
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="container", entity_id=mine["container_id"])[-1]
    assert entry.action == "label.apply_refused"
    recorded = json.loads(entry.new_values)
    assert recorded["label_id"] == mine["id"] and "label.wrong_container" in {r["code"] for r in recorded["reasons"]}


def test_a_garbled_scan_or_a_second_apply_is_refused(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, _, bags = _lot(database, settings, as_role)
    label = _to_printer(operator, din, [bags[0]["id"]], printer).json()["job"]["labels"][0]
    garbled = operator.post(f"/api/v1/labels/{label['id']}/apply", json={"scan": _compound(label)[:-3]})
    assert garbled.status_code == 409 and garbled.json()["reasons"]
    assert operator.post(f"/api/v1/labels/{label['id']}/apply", json={"scan": _compound(label)}).status_code == 200
    twice = operator.post(f"/api/v1/labels/{label['id']}/apply", json={"scan": _compound(label)})
    assert twice.status_code == 409 and twice.json()["error"] == "label.not_printed"


def test_a_culture_vessel_label_is_verified_by_its_din_and_flag(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, _, vessels = _lot(database, settings, as_role, kind="culture_vessel", count=2, expiry=False)
    labels = _print(operator, din, [], "zpl", container_ids=None, kind="culture_vessel").json()["job"]["labels"]
    assert [label["container_id"] for label in labels] == [v["id"] for v in vessels]
    first = labels[0]
    din_data = first["barcodes"]["din_barcode"]["data"]
    assert din_data == f"={din}{vessels[0]['sample_flag']}"
    other_din = labels[1]["barcodes"]["din_barcode"]["data"]
    assert operator.post(f"/api/v1/labels/{first['id']}/apply", json={"scan": other_din}).status_code == 409
    assert operator.post(f"/api/v1/labels/{first['id']}/apply", json={"scan": din_data}).status_code == 200


def test_a_label_that_cannot_be_made_is_refused_with_its_reason_code_and_nothing_is_recorded(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, _, bags = _lot(database, settings, as_role, expiry=False)
    prints = _prints(database)
    missing = _to_printer(operator, din, [bags[0]["id"]], printer)
    assert missing.status_code == 400 and missing.json()["error"] == "label.content_missing"
    assert missing.json()["reasons"][0]["code"] == "label.content_missing"
    assert "expiry" in missing.json()["message"]
    bad_dpi = _to_printer(operator, din, [bags[0]["id"]], printer, dpi=600)
    assert bad_dpi.status_code == 400
    assert _prints(database) == prints


def test_a_product_description_too_long_for_the_label_is_refused(
    database: Database, settings: Settings, as_role: ClientFactory, app: Any, printer: CapturingPrinter
) -> None:
    din, operator, _, bags = _lot(database, settings, as_role)
    app.state.settings = settings.model_copy(update={"product_description": "X" * 60})
    response = _to_printer(operator, din, [bags[0]["id"]], printer)
    assert response.status_code == 400 and response.json()["error"] == "label.text_too_long"


def test_who_may_print_which_labels(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    din, operator, _, _ = _lot(database, settings, as_role)
    analyst, _ = as_role(Role.QC_ANALYST)
    assert _print(analyst, din, [], kind="final_product", container_ids=None).status_code == 403
    # Aspirate bags are labelled by the collector, with the recipient's identity on the label.
    refused = _print(operator, din, [], kind="aspirate_bag", container_ids=None)
    assert refused.status_code == 403 and refused.json()["error"] == "label.role"
    collector, _ = as_role(Role.COLLECTOR)
    printed = _print(collector, din, [], "svg", kind="aspirate_bag", container_ids=None,
                     reason="bag label torn at receipt")
    assert printed.status_code == 201, printed.text
    svg = base64.b64decode(printed.json()["documents"][0]["content_base64"]).decode()
    assert PATIENT_FAMILY.upper() in svg


def test_a_container_of_another_lot_or_a_mixed_selection_is_refused(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, _, bags = _lot(database, settings, as_role)
    vessel = operator.post(f"/api/v1/lots/{din}/containers", json={"kind": "culture_vessel"}).json()[0]
    mixed = _print(operator, din, [bags[0]["id"], vessel["id"]])
    assert mixed.status_code == 400 and mixed.json()["error"] == "label.mixed_kinds"
    other = seed_lot(database, settings, subject="S-002", mrn="MRN-2")
    foreign = _print(operator, other.din, [bags[0]["id"]])
    assert foreign.status_code == 404 and foreign.json()["error"] == "label.container_not_in_lot"
    both = operator.post(f"/api/v1/lots/{din}/labels", json={"container_ids": [1], "kind": "qc_sample"})
    assert both.status_code == 422


def test_the_aspirate_bag_labelled_at_collection_is_part_of_the_lots_labels(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, _, _ = _lot(database, settings, as_role)
    labels = operator.get(f"/api/v1/lots/{din}/labels").json()
    bag = [label for label in labels if label["container_kind"] == "aspirate_bag"]
    assert len(bag) == 1 and bag[0]["template_kind"] == "aspirate_bag"
    assert bag[0]["status"] == "applied" and bag[0]["verified_at"] is not None
    assert bag[0]["barcodes"]["din_barcode"]["data"].startswith(f"={din}")
    with database.transaction(write=False) as session:
        actions = [e.action for e in audit_service.entries_for(session=session, entity_type="collection",
                                                               entity_id=din)]
    assert "label.printed" in actions
