"""The bedside gate's and the infusion record's reasons name times in the site's zone, with the zone ("2026-11-25
18:00 KST" at a site in Seoul), and numbers as people read them ("6 \u00d7 10\u2077"); their codes stay as they were."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from batchtrack.bedside import gate
from batchtrack.bedside.gate import Bag, BedsideFacts, Clinician, Dose, InfusionFacts
from batchtrack.errors import Reason
from batchtrack.i18n import catalogs

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 18:00 in Seoul
NURSE = Clinician(1, frozenset({"nurse"}), "Hana Lee")
DOCTOR = Clinician(2, frozenset({"investigator"}), "Dr. Mina Park")
BAG = Bag(container_id=10, kind="final_product", status="in_use", therapy_coi="CHW000026000001",
          lot_din="W000026000001", lot_state="at_clinic", expires_at=NOW - timedelta(minutes=30))
CHECK = BedsideFacts(now=NOW, first=NURSE, second=DOCTOR, wristband_coi="CHW000026000001", bag=BAG, released=True,
                     dose=Dose(viable_cells=6.0e7, prescribed_cells_per_kg=1e6, weight_kg=58.4,
                               tolerance_percent=10), zone=SEOUL)
INFUSION = InfusionFacts(now=NOW, check_ok=True, check_used=False, checked_at=NOW - timedelta(minutes=50),
                         bag_status="in_use", expires_at=NOW - timedelta(hours=2),
                         started_at=NOW - timedelta(minutes=55), ended_at=NOW - timedelta(minutes=5), volume_ml=50,
                         bag_volume_ml=50, first=NURSE, second=DOCTOR, check_clinicians=(2, 1), zone=SEOUL)


def _reason(reasons: list[Reason], code: str) -> Reason:
    return next(r for r in reasons if r.code == code)


def test_an_expired_bag_is_refused_with_its_expiry_in_the_sites_time() -> None:
    expired = _reason(gate.refusals(CHECK), "bedside.expired")
    assert expired.message == "the product expired at 2026-11-25 17:30 KST (30 min ago)"
    korean = expired.as_dict(catalogs.translations("ko"))["message"]
    assert korean == "제품의 유효기한이 2026-11-25 17:30 KST에 지났습니다(30분 전)"


def test_a_site_that_keeps_utc_names_utc() -> None:
    expired = _reason(gate.refusals(replace(CHECK, zone=UTC)), "bedside.expired")
    assert expired.message == "the product expired at 2026-11-25 08:30 UTC (30 min ago)"


def test_a_dose_out_of_tolerance_is_written_in_powers_of_ten() -> None:
    dose = Dose(viable_cells=6.0e7, prescribed_cells_per_kg=1e6, weight_kg=48.4, tolerance_percent=10)
    reason = _reason(gate.refusals(replace(CHECK, dose=dose)), "bedside.dose_out_of_tolerance")
    assert reason.message == ("the bag holds 6 \u00d7 10\u2077 viable cells; the prescription is 4.84 \u00d7 10\u2077 "
                              "(1 \u00d7 10\u2076/kg \u00d7 48.4 kg), off by 24.0% (tolerance 10%)")
    korean = reason.as_dict(catalogs.translations("ko"))["message"]
    assert "6 \u00d7 10\u2077" in korean and "4.84 \u00d7 10\u2077" in korean and "e+" not in korean


def test_an_infusion_before_its_check_and_after_expiry_names_the_sites_times() -> None:
    reasons = gate.infusion_refusals(INFUSION)
    assert _reason(reasons, "infusion.before_check").message == (
        "the infusion cannot start (2026-11-25 17:05 KST) before its bedside check (2026-11-25 17:10 KST)")
    assert _reason(reasons, "infusion.after_expiry").message == (
        "the infusion started after the product expired (2026-11-25 16:00 KST)")
    korean = catalogs.translations("ko")
    for reason in reasons:
        assert "UTC" not in reason.message and "UTC" not in reason.as_dict(korean)["message"]


def test_an_infusion_over_the_bags_volume_names_both_volumes() -> None:
    reason = _reason(gate.infusion_refusals(replace(INFUSION, volume_ml=60)), "infusion.volume_exceeds_bag")
    assert reason.message == "60.0 mL is more than the bag holds (50.0 mL, tolerance 5%)"
