"""The bedside gate (pure): every reason an infusion must not start."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from batchtrack.bedside import gate
from batchtrack.bedside.gate import Bag, BedsideFacts, Clinician, Dose
from batchtrack.i18n import catalogs
from batchtrack.models.container import ContainerKind, ContainerStatus
from batchtrack.models.user import Role

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
NURSE = Clinician(1, frozenset({"nurse"}), "Hana Lee")
DOCTOR = Clinician(2, frozenset({"investigator"}), "Dr. Mina Park")
BAG = Bag(container_id=10, kind="final_product", status="in_use", therapy_coi="CHW000026000001",
          lot_din="W000026000001", lot_state="at_clinic", expires_at=NOW + timedelta(hours=3))
GOOD = BedsideFacts(now=NOW, first=NURSE, second=DOCTOR, wristband_coi="CHW000026000001", bag=BAG, released=True,
                    dose=Dose(viable_cells=6.0e7, prescribed_cells_per_kg=1e6, weight_kg=58.4, tolerance_percent=10))


def codes(facts: BedsideFacts) -> list[str]:
    return [r.code for r in gate.refusals(facts)]


def test_the_constants_match_the_models() -> None:
    assert ContainerKind.FINAL_PRODUCT.value == gate.FINAL_PRODUCT and ContainerStatus.IN_USE.value == gate.USABLE
    assert {Role.INVESTIGATOR.value, Role.NURSE.value} == gate.CLINICAL_ROLES


def test_everything_in_order_passes() -> None:
    assert gate.refusals(GOOD) == []


def test_another_recipients_bag_is_refused_naming_both_therapies() -> None:
    reasons = gate.refusals(replace(GOOD, wristband_coi="CHW000026000002"))
    assert [r.code for r in reasons] == ["bedside.wrong_recipient"]
    assert "CHW000026000001" in reasons[0].message and "CHW000026000002" in reasons[0].message


def test_one_clinician_cannot_be_both() -> None:
    assert codes(replace(GOOD, second=NURSE)) == ["bedside.same_clinician"]
    assert codes(replace(GOOD, second=None)) == ["bedside.second_clinician_missing"]


def test_expiry_is_by_the_minute() -> None:
    assert codes(replace(GOOD, bag=replace(BAG, expires_at=NOW - timedelta(minutes=2)))) == ["bedside.expired"]
    assert codes(replace(GOOD, bag=replace(BAG, expires_at=NOW + timedelta(minutes=2)))) == []


def test_an_unreleased_lot_an_infused_bag_and_a_dose_out_of_tolerance_are_refused() -> None:
    assert codes(replace(GOOD, released=False, bag=replace(BAG, lot_state="in_qc"))) == ["bedside.not_released"]
    assert codes(replace(GOOD, bag=replace(BAG, status="infused"))) == ["bedside.bag_infused"]
    low = Dose(viable_cells=4.0e7, prescribed_cells_per_kg=1e6, weight_kg=58.4, tolerance_percent=10)
    assert codes(replace(GOOD, dose=low)) == ["bedside.dose_out_of_tolerance"]
    no_weight = Dose(viable_cells=6.0e7, prescribed_cells_per_kg=1e6, weight_kg=None, tolerance_percent=10)
    assert codes(replace(GOOD, dose=no_weight)) == ["bedside.weight_missing"]


def test_a_release_pending_sterility_needs_acknowledging() -> None:
    pending = replace(GOOD, pending_sterility=True)
    assert codes(pending) == ["bedside.pending_sterility_unacknowledged"]
    assert codes(replace(pending, pending_acknowledged=True)) == []


def test_a_refusal_reads_in_korean_with_its_values_and_nested_names_translated() -> None:
    korean = catalogs.translations("ko")
    wrong = gate.refusals(replace(GOOD, wristband_coi="CHW000026000002"))[0]
    assert wrong.as_dict(korean)["message"] == ("이 백은 치료 CHW000026000001의 것이지만 손목밴드는 치료 "
                                                "CHW000026000002입니다. 이 제품은 이 환자의 것이 아닙니다")
    vessel = gate.refusals(replace(GOOD, bag=replace(BAG, kind="culture_vessel")))[0]
    assert vessel.as_dict(korean)["message"] == "스캔한 것은 완제품 백이 아니라 배양 용기입니다"
    assert vessel.message == "the scan names a culture vessel, not a final product bag"  # the record stays English
    unreleased = gate.refusals(replace(GOOD, released=False, bag=replace(BAG, lot_state="in_qc")))[0]
    assert "in qc: not released by QA" in unreleased.message
    assert "품질보증(QA)의 출하 승인을 받지 않았습니다" in unreleased.as_dict(korean)["message"]
    assert "in qc" not in unreleased.as_dict(korean)["message"]
