"""Station expectations: every mismatch between what is expected and what was scanned is named."""

from __future__ import annotations

import pytest

from batchtrack.scanning import expectations
from batchtrack.scanning.expectations import (
    ResolvedCollection,
    ResolvedContainer,
    ResolvedTherapy,
    StationExpectation,
)

LOT_A_DIN = "W000026000001"
LOT_B_DIN = "W000026000002"
COI_A = "CHW000026000001"
COI_B = "CHW000026000002"


def container(
    *,
    lot_id: int | None = 1,
    lot_din: str | None = LOT_A_DIN,
    kind: str = "culture_vessel",
    status: str = "in_use",
) -> ResolvedContainer:
    return ResolvedContainer(
        container_id=10,
        din=lot_din or LOT_A_DIN,
        kind=kind,
        lot_id=lot_id,
        lot_din=lot_din,
        therapy_coi=COI_A,
        status=status,
    )


def codes(expectation: StationExpectation, resolved: expectations.Resolved) -> list[str]:
    return [reason.code for reason in expectations.compare(expectation, resolved)]


def test_the_expected_container_passes() -> None:
    expectation = StationExpectation(
        lot_id=1, lot_din=LOT_A_DIN, therapy_coi=COI_A, container_kinds=frozenset({"culture_vessel"})
    )
    assert expectations.compare(expectation, container()) == []


def test_container_of_another_lot_names_both_lots() -> None:
    expectation = StationExpectation(lot_id=2, lot_din=LOT_B_DIN, step="passage")
    reasons = expectations.compare(expectation, container())
    assert [reason.code for reason in reasons] == ["scan.wrong_lot"]
    assert LOT_A_DIN in reasons[0].message and LOT_B_DIN in reasons[0].message
    assert "passage" in reasons[0].message


def test_swapped_lots_are_refused_both_ways() -> None:
    a_at_b = expectations.compare(
        StationExpectation(lot_din=LOT_B_DIN), container(lot_id=1, lot_din=LOT_A_DIN)
    )
    b_at_a = expectations.compare(
        StationExpectation(lot_din=LOT_A_DIN), container(lot_id=2, lot_din=LOT_B_DIN)
    )
    for reasons in (a_at_b, b_at_a):
        assert len(reasons) == 1 and reasons[0].code == "scan.wrong_lot"
        assert LOT_A_DIN in reasons[0].message and LOT_B_DIN in reasons[0].message


def test_lot_id_mismatch_is_refused_even_when_the_din_matches() -> None:
    assert codes(StationExpectation(lot_id=2, lot_din=LOT_A_DIN), container(lot_id=1)) == ["scan.wrong_lot"]


def test_container_of_no_lot_is_refused() -> None:
    assert codes(StationExpectation(lot_id=1), container(lot_id=None, lot_din=None)) == ["scan.no_lot"]


def test_wrong_container_kind_is_refused() -> None:
    expectation = StationExpectation(container_kinds=frozenset({"final_product"}))
    assert codes(expectation, container(kind="qc_sample")) == ["scan.wrong_container_kind"]


@pytest.mark.parametrize("status", ["consumed", "infused", "destroyed"])
def test_used_up_container_is_refused(status: str) -> None:
    reasons = expectations.compare(StationExpectation(lot_id=1), container(status=status))
    assert [reason.code for reason in reasons] == ["scan.container_status"]
    assert status in reasons[0].message


def test_container_statuses_match_the_model() -> None:
    from batchtrack.models.container import ContainerStatus

    assert ContainerStatus.IN_USE.value == expectations.USABLE_STATUS


def test_wrong_therapy_names_both_cois() -> None:
    reasons = expectations.compare(StationExpectation(therapy_coi=COI_B), ResolvedTherapy(1, COI_A, "open"))
    assert [reason.code for reason in reasons] == ["scan.wrong_therapy"]
    assert COI_A in reasons[0].message and COI_B in reasons[0].message


def test_wristband_of_the_right_therapy_passes() -> None:
    assert codes(StationExpectation(therapy_coi=COI_A), ResolvedTherapy(1, COI_A, "open")) == []


def test_therapy_scanned_where_a_container_is_expected_is_refused() -> None:
    expectation = StationExpectation(lot_id=1, container_kinds=frozenset({"final_product"}))
    assert codes(expectation, ResolvedTherapy(1, COI_A, "open")) == ["scan.wrong_entity", "scan.wrong_entity"]


def test_collection_of_another_therapy_is_refused() -> None:
    collection = ResolvedCollection(collection_id=3, din=LOT_A_DIN, therapy_coi=COI_A, state="in_transit")
    assert codes(StationExpectation(therapy_coi=COI_B), collection) == ["scan.wrong_therapy"]


def test_every_mismatch_is_reported_at_once() -> None:
    expectation = StationExpectation(
        lot_din=LOT_B_DIN, therapy_coi=COI_B, container_kinds=frozenset({"final_product"})
    )
    assert codes(expectation, container(status="destroyed")) == [
        "scan.wrong_lot",
        "scan.wrong_therapy",
        "scan.wrong_container_kind",
        "scan.container_status",
    ]
