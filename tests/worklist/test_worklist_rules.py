"""The pure rules of each role's work (batchtrack.worklist.rules), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from batchtrack.models.processing import StepState
from batchtrack.models.user import Role
from batchtrack.protocols import definition
from batchtrack.quality import results as quality_results
from batchtrack.release import gate
from batchtrack.worklist import rules
from batchtrack.worklist.rules import Kind

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
SEOUL = ZoneInfo("Asia/Seoul")
LIMITS = definition.load("KCT0004337").limits


def test_a_bag_is_due_at_the_end_of_the_protocols_receipt_window_counted_in_the_sites_time() -> None:
    collected = NOW - timedelta(hours=3)
    [item] = rules.bag_items([rules.BagFacts("W000026000001", "CHW00026A1B2C3", collected,
                                             LIMITS.max_hours_collection_to_receipt)], receives=True)
    assert item.due_at == collected + timedelta(hours=LIMITS.max_hours_collection_to_receipt)
    assert item.link == rules.Link("receiving", query=(("expected", "W000026000001"),))
    left = item.due_at - NOW
    hours, minutes = divmod(int(left.total_seconds() // 60), 60)
    expected = f"{hours} h {minutes} min left" if hours < 24 else None
    text = str(rules.due_text(item.due_at, NOW, SEOUL))
    assert item.due_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M KST") in text
    if expected:
        assert expected in text


def test_a_bag_without_its_collection_time_says_so_and_has_no_deadline() -> None:
    [item] = rules.bag_items([rules.BagFacts("W000026000001", "CHW00026A1B2C3", None, 24.0)], receives=False)
    assert item.due_at is None
    assert [str(r) for r in item.reasons] == ["the collection time is not recorded"]


def test_the_lab_receives_a_bag_at_its_station_and_those_who_carry_it_hand_it_over_on_its_page() -> None:
    bag = rules.BagFacts("W000026000001", "CHW00026A1B2C3", NOW, 24.0)
    [received] = rules.bag_items([bag], receives=True)
    [carried] = rules.bag_items([bag], receives=False)
    assert received.link.page == "receiving" and str(received.title).startswith("Receive aspirate bag")
    assert carried.link == rules.Link("collection_page", (("din", "W000026000001"),))
    assert str(carried.title) == "Hand over aspirate bag W000026000001 (therapy CHW00026A1B2C3) to the lab"


def test_a_countdown_reads_as_days_hours_or_minutes_and_overdue_once_passed() -> None:
    assert str(rules.countdown(NOW + timedelta(days=2, hours=3, minutes=5), NOW)) == "2 d 3 h left"
    assert str(rules.countdown(NOW + timedelta(hours=5, minutes=7), NOW)) == "5 h 7 min left"
    assert str(rules.countdown(NOW + timedelta(minutes=42), NOW)) == "42 min left"
    assert str(rules.countdown(NOW - timedelta(hours=1, minutes=30), NOW)) == "overdue by 1 h 30 min"


def test_processing_is_due_at_the_protocols_limit_from_collection() -> None:
    collected = NOW - timedelta(hours=10)
    [item] = rules.processing_items([rules.WaitingLotFacts("W000026000001", collected,
                                                           LIMITS.max_hours_collection_to_processing)])
    assert item.due_at == collected + timedelta(hours=LIMITS.max_hours_collection_to_processing)
    assert item.link.page == "processing_start"


def test_a_step_in_progress_is_to_complete_and_a_completed_one_to_verify_at_its_workstation() -> None:
    items = rules.step_items([
        rules.OpenStepFacts("W000026000001", "Isolation", "BSC-1", "in_progress", NOW),
        rules.OpenStepFacts("W000026000002", "Harvest", "BSC-2", "completed", NOW)])
    assert [str(i.title) for i in items] == ["Complete Isolation of lot W000026000001 at BSC-1",
                                             "Verify Harvest of lot W000026000002 at BSC-2 (a second person)"]
    assert items[1].link == rules.Link("workstation", (("station", "BSC-2"),))


def _test(code: str, *, status: str | None = None, day: int | None = None, entered: datetime | None = None,
          stage: str = "release", days: int | None = None) -> rules.TestDue:
    return rules.TestDue(code, code.title(), stage, days, status, day, entered)


def test_the_day_14_sterility_is_due_14_days_after_the_day_0_of_its_preliminary_reading() -> None:
    read = NOW - timedelta(hours=2)
    lot = rules.QcLotFacts("W000026000001", "in_qc", (
        _test("sterility", status="preliminary", day=7, entered=read, stage="post_release", days=14),
        _test("viability", status="final"), _test("endotoxin")))
    [item] = rules.qc_items([lot], SEOUL, NOW)
    assert item.due_at == read + timedelta(days=7)
    assert str(item.title) == "Lot W000026000001: 2 result(s) due"
    assert [str(r).split(";")[0] for r in item.reasons] == ["Sterility: preliminary at day 7", "Endotoxin: no result"]
    assert item.link == rules.Link("lot_qc_page", (("din", "W000026000001"),))


def test_after_a_release_pending_sterility_only_the_post_release_tests_are_due() -> None:
    lot = rules.QcLotFacts("W000026000001", "released_pending_sterility", (
        _test("sterility", status="preliminary", day=3, entered=NOW, stage="post_release", days=14),
        _test("endotoxin")))
    [item] = rules.qc_items([lot], SEOUL, NOW)
    assert len(item.reasons) == 1 and "Sterility" in str(item.reasons[0])
    done = rules.QcLotFacts("W000026000002", "released", (_test("sterility", status="final", stage="post_release",
                                                                 days=14),))
    assert rules.qc_items([done], SEOUL, NOW) == []


def test_a_lot_awaiting_release_lists_the_release_gates_own_reasons_and_is_due_at_its_expiry() -> None:
    expires = NOW + timedelta(hours=30)
    facts = gate.ReleaseFacts(lot_din="W000026000001", lot_state="in_qc", now=NOW, expires_at=expires,
                              specification="MSC-FP v1", open_deviations=2, actor_is_qa=True,
                              recipient_eligible=True, record_reviewed_through=None, zone=SEOUL)
    [item] = rules.release_items([facts])
    expected = [r.message for r in gate.release_refusals(facts)]
    assert [str(r) for r in item.reasons] == expected
    assert "2 deviation(s) still open" in expected
    assert item.due_at == expires and item.link.page == "release_page"


def test_a_lot_meeting_every_condition_is_ready_for_the_decision() -> None:
    facts = gate.ReleaseFacts(lot_din="W000026000001", lot_state="in_qc", now=NOW, expires_at=NOW + timedelta(1),
                              specification="MSC-FP v1", actor_is_qa=True, recipient_eligible=True,
                              record_reviewed_through=10, custody_gaps=())
    [item] = rules.release_items([facts])
    assert item.reasons == ()
    assert str(item.title) == "Lot W000026000001 is ready for QA's release decision"


def test_deviations_say_their_age_and_the_oldest_comes_first() -> None:
    items = rules.ordered(rules.deviation_items([
        rules.DeviationFacts("DEV-2026-0002", "W000026000001", NOW - timedelta(hours=5), "temperature"),
        rules.DeviationFacts("DEV-2026-0001", "W000026000001", NOW - timedelta(days=3, hours=2), "label {x}")],
        NOW))
    assert [i.about for i in items] == ["DEV-2026-0001", "DEV-2026-0002"]
    assert "open for 3 d 2 h" in str(items[0].title)
    assert str(items[0].reasons[0]) == "label {x}"


def test_labels_are_to_reconcile_only_while_one_is_outstanding_or_unverified() -> None:
    items = rules.label_items([rules.LabelFacts("W000026000001", 2, 0), rules.LabelFacts("W000026000002", 0, 1),
                               rules.LabelFacts("W000026000003", 0, 0)])
    assert [i.about for i in items] == ["W000026000001", "W000026000002"]
    assert str(items[1].reasons[0]) == "1 applied label(s) not verified by a scan"


def test_items_due_soonest_come_first_and_those_without_a_due_time_last() -> None:
    later = rules.Item(Kind.LOT_EXPIRING, "B", rules.TITLES[Kind.LOT_EXPIRING], rules.Link("lot_page"),
                       NOW + timedelta(hours=5))
    overdue = rules.Item(Kind.LOT_EXPIRING, "C", rules.TITLES[Kind.LOT_EXPIRING], rules.Link("lot_page"),
                         NOW - timedelta(hours=1))
    undated = rules.Item(Kind.LOT_EXPIRING, "A", rules.TITLES[Kind.LOT_EXPIRING], rules.Link("lot_page"))
    assert [i.about for i in rules.ordered([undated, later, overdue])] == ["C", "B", "A"]
    assert rules.overdue(overdue, NOW) and not rules.overdue(later, NOW)


def test_each_role_sees_its_own_kinds_and_no_role_without_patient_identity_sees_the_clinics_list() -> None:
    assert rules.kinds_for([Role.QC_ANALYST]) == [Kind.QC_RESULTS_DUE]
    assert rules.kinds_for([Role.COURIER]) == [Kind.BAG_IN_TRANSIT]
    assert Kind.DEVIATION_OPEN in rules.kinds_for([Role.QA]) and Kind.RELEASE_AWAITING in rules.kinds_for([Role.QA])
    assert Kind.INFUSION_PLANNED in rules.kinds_for([Role.NURSE])
    for role in (Role.COURIER, Role.OPERATOR, Role.QC_ANALYST, Role.QA, Role.ADMIN):
        assert Kind.INFUSION_PLANNED not in rules.kinds_for([role])
    assert set(rules.KINDS_BY_ROLE) == set(Role)
    assert set(rules.TITLES) == set(rules.EMPTY) == set(Kind)


def test_the_states_the_rules_spell_are_the_tables_states() -> None:
    assert rules.IN_PROGRESS == StepState.IN_PROGRESS


def test_an_alert_names_its_kind_as_people_read_it_and_keeps_its_message_as_written() -> None:
    assert set(rules.ALERT_KINDS) == {quality_results.ALERT_KIND}
    [item] = rules.alert_items([rules.AlertFacts("W000026000001", quality_results.ALERT_KIND, "Lot {x} growth", NOW)])
    assert str(item.title) == "Alert on lot W000026000001: a positive sterility result after release"
    assert str(item.reasons[0]) == "Lot {x} growth" and item.link == rules.Link("alerts_page")


def test_a_collector_sees_each_scheduled_collection_due_at_its_planned_time_on_its_page() -> None:
    planned = NOW + timedelta(hours=3)
    [item, unplanned] = rules.collection_items([
        rules.ScheduledCollectionFacts("W000026000001", "CHW00026A1B2C3", planned, NOW - timedelta(days=1)),
        rules.ScheduledCollectionFacts("W000026000002", "CHW00026A1B2C4", None, NOW)])
    assert item.kind == Kind.COLLECTION_SCHEDULED and item.due_at == planned
    assert str(item.title) == "Collect aspirate W000026000001 (therapy CHW00026A1B2C3)"
    assert item.link == rules.Link("collection_page", (("din", "W000026000001"),))
    assert "3 h 0 min left" in str(rules.due_text(planned, NOW, SEOUL)) and item.reasons == ()
    assert unplanned.due_at is None
    assert [str(r) for r in unplanned.reasons] == ["no collection time is planned"]
    assert rules.ordered([unplanned, item]) == [item, unplanned]
    assert rules.kinds_for([Role.COLLECTOR]) == [Kind.COLLECTION_SCHEDULED, Kind.BAG_IN_TRANSIT]
    for role in set(Role) - {Role.COLLECTOR}:
        assert Kind.COLLECTION_SCHEDULED not in rules.kinds_for([role])
