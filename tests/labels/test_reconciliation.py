"""Label reconciliation: printed = applied + voided + destroyed, and the labels that make any difference."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import reconciliation
from batchtrack.labels.reconciliation import LabelRow
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot
from capture_printer import CapturingPrinter

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]




def test_counts_and_the_named_difference_of_an_unbalanced_lot() -> None:
    result = reconciliation.reconcile([
        LabelRow(1, 10, "applied", verified=True), LabelRow(2, 11, "printed"), LabelRow(3, 12, "voided"),
        LabelRow(4, 13, "destroyed"), LabelRow(5, 14, "printed"), LabelRow(6, 15, "applied", verified=False),
    ])
    assert (result.printed, result.applied, result.voided, result.destroyed) == (6, 2, 1, 1)
    assert result.outstanding == (2, 5) and result.applied_unverified == (6,)
    assert result.balanced is False and result.difference == 2
    assert result.named_difference == "outstanding: label #2, #5"
    codes = {r.code: r.message for r in result.reasons()}
    assert set(codes) == {"labels.unbalanced", "labels.unverified"}
    assert "#2, #5" in codes["labels.unbalanced"] and "#6" in codes["labels.unverified"]


def test_a_balanced_and_verified_lot_has_no_reasons() -> None:
    result = reconciliation.reconcile([LabelRow(1, 10, "applied", verified=True), LabelRow(2, 10, "voided")])
    assert result.balanced and result.difference == 0 and result.reasons() == []
    assert reconciliation.reconcile([]).balanced


def test_the_arithmetic_on_plain_counts() -> None:
    assert reconciliation.difference(printed=5, applied=3, voided=1, destroyed=1) == 0
    assert reconciliation.difference(printed=5, applied=2, voided=1, destroyed=0) == 2


def test_an_unrecognised_status_is_never_counted_as_accounted_for() -> None:
    result = reconciliation.reconcile([LabelRow(7, 1, "lost")])
    assert not result.balanced and result.unknown_status == (7,)
    assert "#7" in result.named_difference


def _compound(label: dict[str, Any]) -> str:
    return str(next(b["data"] for b in label["barcodes"].values() if b["data"].startswith("=+")))


def test_reconciliation_of_a_lot_through_the_api(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR)
    qa, _ = as_role(Role.QA)
    moment = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    assert qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": moment.isoformat()}).status_code == 200
    bags = operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product", "count": 3}).json()
    # Final-product labels carry the recipient's identity: the operator prints them straight to the printer.
    printed = operator.post(f"/api/v1/lots/{lot.din}/labels",
                            json={"kind": "final_product", "format": "zpl", "printer": printer.address})
    assert printed.status_code == 201, printed.text
    first, second, third = printed.json()["job"]["labels"]
    assert [label["container_id"] for label in (first, second, third)] == [b["id"] for b in bags]
    assert printer.wait()[0].count(b"^XA") == 3
    url = f"/api/v1/lots/{lot.din}/labels/reconciliation"

    before = operator.get(url).json()
    # The aspirate bag's label, applied and verified at collection, counts too.
    assert (before["printed"], before["applied"], before["voided"], before["destroyed"]) == (4, 1, 0, 0)
    assert before["balanced"] is False and before["difference"] == 3
    assert before["outstanding"] == [first["id"], second["id"], third["id"]]

    assert operator.post(f"/api/v1/labels/{first['id']}/apply", json={"scan": _compound(first)}).status_code == 200
    assert operator.post(f"/api/v1/labels/{second['id']}/void", json={"reason": "ribbon wrinkle"}).status_code == 200
    middle = operator.get(url).json()
    assert (middle["printed"], middle["applied"], middle["voided"], middle["destroyed"]) == (4, 2, 1, 0)
    assert middle["balanced"] is False and middle["outstanding"] == [third["id"]]
    assert middle["named_difference"] == f"outstanding: label #{third['id']}"
    assert [r["code"] for r in middle["reasons"]] == ["labels.unbalanced"]

    reviewer, _ = as_role(Role.QA)
    assert reviewer.post(f"/api/v1/labels/{third['id']}/destroy", json={"reason": "surplus, shredded"}).status_code \
        == 200
    after = operator.get(url).json()
    assert (after["printed"], after["applied"], after["voided"], after["destroyed"]) == (4, 2, 1, 1)
    assert after["balanced"] is True and after["outstanding"] == [] and after["reasons"] == []
    assert after["applied_unverified"] == []


def test_a_reprint_leaves_the_lot_unbalanced_until_the_first_label_is_accounted_for(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR)
    vessel = operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "culture_vessel"}).json()[0]
    body = {"container_ids": [vessel["id"]], "format": "svg"}
    old = operator.post(f"/api/v1/lots/{lot.din}/labels", json=body).json()["job"]["labels"][0]
    new = operator.post(f"/api/v1/lots/{lot.din}/labels", json={**body, "reason": "torn"}).json()["job"]["labels"][0]
    scan = new["barcodes"]["din_barcode"]["data"]
    assert operator.post(f"/api/v1/labels/{new['id']}/apply", json={"scan": scan}).status_code == 200
    url = f"/api/v1/lots/{lot.din}/labels/reconciliation"
    assert operator.get(url).json()["outstanding"] == [old["id"]]
    assert operator.post(f"/api/v1/labels/{old['id']}/destroy", json={"reason": "torn, shredded"}).status_code == 200
    assert operator.get(url).json()["balanced"] is True
