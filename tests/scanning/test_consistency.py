"""A label's own structures must agree with what is recorded for the container it names."""

from __future__ import annotations

from datetime import UTC, datetime

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
