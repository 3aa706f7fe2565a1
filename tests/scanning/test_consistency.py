"""A label's own structures must agree with what is recorded for the container it names."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from batchtrack.i18n import catalogs
from batchtrack.scanning.consistency import label_agrees
from batchtrack.scanning.parser import ScanIdentity

RECORDED = datetime(2026, 11, 26, 14, 30, 27, tzinfo=UTC)


def test_matching_coi_and_expiry_to_the_minute_agree() -> None:
    identity = ScanIdentity(coi="CHW000026000001", expires_at=datetime(2026, 11, 26, 14, 30, tzinfo=UTC))
    assert label_agrees(identity, recorded_coi="CHW000026000001", recorded_expiry=RECORDED) == []


def test_a_date_only_expiry_matches_its_day() -> None:
    identity = ScanIdentity(expires_at=datetime(2026, 11, 26, 23, 59, tzinfo=UTC))
    assert label_agrees(identity, recorded_coi=None, recorded_expiry=RECORDED) == []


def test_a_different_coi_or_expiry_is_named() -> None:
    identity = ScanIdentity(coi="CHW000026000002", expires_at=datetime(2026, 11, 26, 18, 30, tzinfo=UTC))
    codes = [r.code for r in label_agrees(identity, recorded_coi="CHW000026000001", recorded_expiry=RECORDED)]
    assert codes == ["scan.label_coi_mismatch", "scan.label_expiry_mismatch"]


def test_a_different_expiry_is_named_in_the_sites_time_with_its_zone() -> None:
    identity = ScanIdentity(expires_at=datetime(2026, 11, 26, 18, 30, tzinfo=UTC))
    [reason] = label_agrees(identity, recorded_coi=None, recorded_expiry=RECORDED, zone=ZoneInfo("Asia/Seoul"))
    assert reason.code == "scan.label_expiry_mismatch"
    assert reason.message == ("the label's expiry 2026-11-27 03:30 KST is not the lot's recorded expiry "
                              "2026-11-26 23:30 KST")
    korean = reason.as_dict(catalogs.translations("ko"))["message"]
    assert korean == ("라벨의 유효기한 2026-11-27 03:30 KST이(가) 기록된 로트 유효기한 2026-11-26 23:30 KST과(와) "
                      "다릅니다")
