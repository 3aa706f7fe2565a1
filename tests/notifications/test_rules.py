"""The rules of notifications: what each role is offered, what a recipient may read, retries, receipt windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from batchtrack.models.notification import NotificationKind
from batchtrack.models.user import Role
from batchtrack.notifications import rules

IDENTITY = rules.Identity(names=("홍", "길동", "Hong", "Gildong"), mrn="MRN-4471", date_of_birth="1987-03-29")
FACTS = {"din": "W000026000123", "coi": "CH0000260001230", "subject": "S-001",
         "description": "Bag of 홍길동 (MRN-4471, born 1987-03-29) leaked; HONG, Gildong's nurse and 홍 길동 informed"}


def test_mail_to_a_role_that_may_not_see_identity_carries_no_name_mrn_or_birth_date() -> None:
    for roles in ({Role.QA}, {Role.OPERATOR}, {Role.QC_ANALYST}, {Role.ADMIN}, {Role.COURIER}):
        facts = rules.facts_for(FACTS, IDENTITY, roles=roles)
        text = " ".join(facts.values())
        for secret in ("홍", "길동", "Hong", "Gildong", "MRN-4471", "1987-03-29"):
            assert secret.lower() not in text.lower(), (roles, secret)
        assert set(facts) == set(FACTS) and facts["subject"] == "S-001" and facts["din"] == "W000026000123"
        assert rules.WITHHELD in facts["description"] and "leaked" in facts["description"]


def test_mail_to_a_clinical_role_names_the_patient() -> None:
    for roles in ({Role.INVESTIGATOR}, {Role.NURSE}, {Role.COLLECTOR}, {Role.QA, Role.INVESTIGATOR}):
        facts = rules.facts_for(FACTS, IDENTITY, roles=roles)
        assert facts["patient"] == "홍길동 (HONG, Gildong)" and facts["mrn"] == "MRN-4471"
        assert facts["date_of_birth"] == "1987-03-29" and facts["description"] == FACTS["description"]


def test_each_role_is_offered_the_kinds_it_handles() -> None:
    assert rules.offered_kinds({Role.QA}) == [NotificationKind.POSITIVE_STERILITY,
                                              NotificationKind.OUT_OF_SPECIFICATION,
                                              NotificationKind.DEVIATION_OPENED, NotificationKind.RECEIPT_WINDOW]
    assert rules.offered_kinds({Role.ADMIN}) == [NotificationKind.ACCOUNT_LOCKED]
    assert rules.offered_kinds({Role.NURSE}) == [NotificationKind.POSITIVE_STERILITY]
    assert NotificationKind.RECEIPT_WINDOW in rules.offered_kinds({Role.OPERATOR})


def test_a_kind_no_longer_offered_to_the_users_roles_is_not_received() -> None:
    chosen = ["deviation_opened"]
    assert rules.receives(NotificationKind.DEVIATION_OPENED, roles={Role.QA}, chosen=chosen)
    assert not rules.receives(NotificationKind.DEVIATION_OPENED, roles={Role.OPERATOR}, chosen=chosen)
    assert not rules.receives(NotificationKind.OUT_OF_SPECIFICATION, roles={Role.QA}, chosen=chosen)


def test_a_subscription_is_refused_an_address_that_is_none_and_kinds_not_offered() -> None:
    reasons = rules.subscription_refusals(roles={Role.OPERATOR}, email="not an address",
                                          kinds=["deviation_opened", "receipt_window_closing", "everything"])
    assert [r.code for r in reasons] == ["notification.address", "notification.kind_not_offered",
                                         "notification.kind_unknown"]
    assert rules.subscription_refusals(roles={Role.OPERATOR}, email="op@lab.example",
                                       kinds=["receipt_window_closing"]) == []
    assert rules.subscription_refusals(roles={Role.OPERATOR}, email="", kinds=[]) == []
    for unsafe in ("op@lab.example\nBcc: all@lab.example", "op\x00@lab.example", "a@b.example, c@d.example"):
        assert [r.code for r in rules.subscription_refusals(roles={Role.OPERATOR}, email=unsafe, kinds=[])] == [
            "notification.address"], unsafe


def test_a_failed_message_waits_longer_after_each_attempt_then_is_given_up() -> None:
    failed = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    waits = [rules.retry_at(attempts=n, failed_at=failed) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert [w - failed for w in waits[:-1] if w is not None] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8),
        timedelta(minutes=16)]
    assert waits[-1] is None
    assert rules.retry_at(attempts=5, failed_at=failed) is not None


def test_a_receipt_window_is_announced_when_it_closes_within_the_time_set() -> None:
    collected = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    closes = rules.receipt_window_closes(collected_at=collected, max_hours=24)
    assert closes == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert not rules.receipt_window_due(closes=closes, now=closes - timedelta(hours=3), within=timedelta(hours=2))
    assert rules.receipt_window_due(closes=closes, now=closes - timedelta(hours=2), within=timedelta(hours=2))
    assert rules.receipt_window_due(closes=closes, now=closes + timedelta(hours=1), within=timedelta(hours=2))
    assert rules.receipt_window_key(din="W000026000123", closes=closes) == (
        "receipt_window:W000026000123:2026-12-08T00:00:00+00:00")
