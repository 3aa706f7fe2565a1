"""The assembled chain-of-identity report: every identifier with its check character, every hand-over, label
print and signature, deviations, bedside checks and infusions, and the events in time order; read in a bounded
number of queries; patient identity only for the roles that may see it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from stdnum.iso7064 import mod_37_2

from batchtrack.auth.principal import Principal
from batchtrack.coi_report import assemble
from batchtrack.coi_report.record import CoiReport
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.models.container import ContainerKind
from batchtrack.models.user import Role
from batchtrack.therapies import service as therapy_service

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, make_user
from coi_report_builders import (
    DESTROY_REASON,
    DEVIATION_CLOSURE,
    DEVIATION_TEXT,
    HANDOVERS,
    REPRINT_REASON,
    SPEC_CODE,
    SPEC_VERSION,
    InfusedTherapy,
    hand_over,
    infused_therapy,
    refused_check,
    reprint_label,
)


def _report(database: Database, coi: str, viewer: Principal) -> CoiReport:
    with database.transaction(write=False) as session:
        therapy = therapy_service.get_by_coi(session=session, coi=coi)
        return assemble.assemble(session=session, therapy=therapy, viewer=viewer)


def _name(user: Any) -> str:
    return f"Test {user.username.title()}"


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    return infused_therapy(database, settings)


@pytest.fixture
def report(database: Database, chain: InfusedTherapy) -> CoiReport:
    return _report(database, chain.coi, chain.bench.operator.principal)


def test_every_identifier_carries_its_correct_check_character(chain: InfusedTherapy, report: CoiReport) -> None:
    assert report.therapy.coi == chain.coi
    assert report.therapy.coi_check == mod_37_2.calc_check_digit(chain.coi)
    assert report.therapy.coi_eye_readable == f"{chain.coi} {report.therapy.coi_check}"
    expected = mod_37_2.calc_check_digit(chain.din)
    [collection] = report.collections
    [lot] = report.lots
    assert (collection.din, collection.din_check) == (chain.din, expected)
    assert (lot.din, lot.din_check) == (chain.din, expected)
    assert collection.din_eye_readable.replace(" ", "") == chain.din + expected
    assert collection.lot_din == chain.din and lot.collections == (chain.din,)
    assert len(report.containers) == 9
    for container in report.containers:
        assert container.din_check == mod_37_2.calc_check_digit(container.din)
    bags = [c for c in report.containers if c.kind == ContainerKind.FINAL_PRODUCT]
    assert [(c.product_code, c.division, c.status) for c in bags] == [
        ("Y00011A0", "A0", "infused"), ("Y00011B0", "B0", "in_use")]
    vessels = [c for c in report.containers if c.kind == ContainerKind.CULTURE_VESSEL]
    assert [c.sample_flag for c in vessels] == ["01", "02", "03", "04", "05", "06"]


def test_collections_show_their_state_and_times_and_lots_their_specification_and_release(
    chain: InfusedTherapy, report: CoiReport
) -> None:
    [collection] = report.collections
    assert collection.state == "accepted" and collection.volume_ml == 55.0
    assert collection.started_at is not None and collection.collected_at is not None
    assert collection.started_at < collection.collected_at
    [receipt] = collection.receipts
    assert (receipt.decision, receipt.temperature_c) == ("accept", 20.0)
    [lot] = report.lots
    assert (lot.state, lot.specification_code, lot.specification_version) == ("released", SPEC_CODE, SPEC_VERSION)
    assert lot.specification == f"{SPEC_CODE} version {SPEC_VERSION}"
    assert lot.release is not None and lot.release.decision == "released"
    assert lot.release.decided_by == _name(chain.qa)
    signature = lot.release.signature
    assert signature is not None and signature.id == chain.release_signature_id
    assert (signature.printed_name, signature.meaning) == (_name(chain.qa), "released")
    assert signature.signed_at == lot.release.decided_at
    assert [s.code for s in lot.steps] == ["isolation", "passage_1", "passage_2", "harvest", "formulation"]


def test_every_custody_hand_over_is_listed_who_to_whom_where_how_cold_and_when(
    chain: InfusedTherapy, report: CoiReport
) -> None:
    operator, courier, nurse = chain.bench.operator, chain.courier, chain.nurse
    assert [(h.handed_over_by, h.received_by, h.location, h.temperature_c) for h in report.custody] == [
        (_name(operator), _name(courier), HANDOVERS[0][0], HANDOVERS[0][1]),
        (_name(courier), _name(nurse), HANDOVERS[1][0], HANDOVERS[1][1]),
    ]
    assert all(h.container_id == chain.infused_id for h in report.custody)
    assert report.custody[0].occurred_at < report.custody[1].occurred_at
    assert str(report.custody[0].container) == f"final product {chain.din} A0"


def test_every_label_print_is_listed_with_template_version_who_when_and_the_reprint_reason(
    chain: InfusedTherapy, report: CoiReport
) -> None:
    prints = report.label_prints
    assert [p.template_kind for p in prints] == [
        "aspirate_bag", "culture_vessel", "culture_vessel", "culture_vessel", "final_product", "final_product"]
    assert [p.template_version for p in prints] == [1, 1, 1, 1, 2, 2]  # final_product v2: the romanised name
    assert [p.is_reprint for p in prints] == [False] * 5 + [True]
    reprint = prints[-1]
    assert reprint.reprint_reason == REPRINT_REASON and reprint.printed_by == _name(chain.bench.operator)
    destroyed = [label for p in prints for label in p.labels if label.status == "destroyed"]
    assert [(label.container_id, label.closed_reason) for label in destroyed] == [(chain.infused_id, DESTROY_REASON)]
    [lot] = report.lots
    counts = lot.labels
    assert (counts.printed, counts.applied, counts.voided, counts.destroyed) == (10, 9, 0, 1)
    assert counts.balanced and counts.outstanding == () and counts.applied_unverified == ()


def test_an_outstanding_label_leaves_the_lot_unreconciled(
    database: Database, settings: Settings, chain: InfusedTherapy
) -> None:
    with database.transaction() as session:
        label_service.print_labels(
            session=session, settings=settings, actor=chain.bench.operator.principal, din=chain.din,
            data=label_schemas.PrintRequest(container_ids=[chain.spare_id], format="zpl", station="BSC-1",
                                            reason="Spare label for the second bag"),
            send=lambda host, port, data, timeout: None)
    [lot] = _report(database, chain.coi, chain.qa.principal).lots
    assert (lot.labels.printed, lot.labels.balanced) == (11, False)
    assert len(lot.labels.outstanding) == 1


def test_each_signature_shows_printed_name_utc_time_meaning_and_what_it_signs(
    chain: InfusedTherapy, report: CoiReport
) -> None:
    by_meaning = {(s.printed_name, s.meaning) for s in report.signatures}
    assert (_name(chain.qa), "released") in by_meaning
    assert (_name(chain.qa), "approved") in by_meaning  # the deviation's closure
    assert (_name(chain.nurse), "performed") in by_meaning and (_name(chain.investigator), "reviewed") in by_meaning
    assert (_name(chain.bench.operator), "performed") in by_meaning
    assert (_name(chain.bench.verifier), "reviewed") in by_meaning
    for signature in report.signatures:
        assert signature.signed_at.utcoffset() == timedelta(0)
        assert signature.signed_for and len(signature.content_hash) == 64
    ids = [s.id for s in report.signatures]
    assert len(ids) == len(set(ids)) == 13  # eligibility, 8 step signatures, release, deviation, 2 infusion
    assert set(chain.infusion_signature_ids) <= set(ids) and chain.release_signature_id in ids
    signed_for = {s.id: str(s.signed_for) for s in report.signatures}
    assert signed_for[chain.release_signature_id] == f"lot {chain.din}: QA decision, released"
    assert signed_for[chain.infusion_signature_ids[0]] == f"infusion of final product {chain.din} A0: first clinician"
    assert [s.signed_at for s in report.signatures] == sorted(s.signed_at for s in report.signatures)


def test_deviations_bedside_checks_and_the_infusion_are_in_the_report(
    chain: InfusedTherapy, report: CoiReport
) -> None:
    [deviation] = report.deviations
    assert (deviation.number, deviation.lot_din, deviation.state) == (chain.deviation_number, chain.din, "closed")
    assert deviation.description == DEVIATION_TEXT and deviation.closure == DEVIATION_CLOSURE
    assert deviation.closed_signature is not None and deviation.closed_signature.printed_name == _name(chain.qa)
    refused, passed = report.bedside_checks
    assert not refused.ok and [r.code for r in refused.reasons] == ["bedside.second_clinician_missing"]
    assert refused.deviation_number == chain.deviation_number and refused.second_clinician is None
    assert passed.ok and passed.reasons == ()
    assert (passed.first_clinician, passed.second_clinician) == (_name(chain.nurse), _name(chain.investigator))
    [infusion] = report.infusions
    assert (infusion.container_id, infusion.lot_din, infusion.volume_ml) == (chain.infused_id, chain.din, 50.0)
    assert infusion.first_signature is not None and infusion.second_signature is not None
    assert infusion.adverse_reactions_recorded is False and infusion.adverse_reactions is None  # operator viewer


def test_events_are_in_time_order_from_donor_to_recipient(chain: InfusedTherapy, report: CoiReport) -> None:
    moments = [e.at for e in report.events]
    assert moments == sorted(moments)
    kinds = [e.kind for e in report.events]

    def first(kind: str) -> int:
        return kinds.index(kind)

    assert first("collection.collected") < first("collection.received") < first("step.started")
    assert first("therapy.opened") < first("collection.scheduled")
    assert first("release.decided") < first("custody.handed_over") < first("bedside.refused")
    assert first("bedside.refused") < first("deviation.closed") < first("bedside.passed") < first("infusion.started")
    assert kinds.count("custody.handed_over") == 2 and kinds.count("label.printed") == 6
    assert kinds[-1] == "infusion.ended"
    # Every signature of the report is attached to an event.
    attached = {s.id for e in report.events for s in e.signatures}
    assert attached == {s.id for s in report.signatures}
    reprint = next(e for e in report.events if str(e.title) == "Labels reprinted")
    assert REPRINT_REASON in str(reprint.detail)


def test_a_non_clinical_viewer_gets_the_subject_code_but_no_name_or_date_of_birth(
    chain: InfusedTherapy, report: CoiReport
) -> None:
    recipient = report.recipient
    assert recipient.subject_code == "S-001" and not recipient.identity_shown
    assert recipient.name is None and recipient.family_name is None and recipient.date_of_birth is None
    text = repr(report)
    for word in (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_FAMILY.upper(), PATIENT_MRN):
        assert word not in text
    assert "datetime.date(1987, 3, 29)" not in text


def test_an_investigator_sees_the_name_and_date_of_birth_but_never_the_mrn(
    database: Database, chain: InfusedTherapy
) -> None:
    report = _report(database, chain.coi, chain.investigator.principal)
    recipient = report.recipient
    assert recipient.identity_shown
    assert (recipient.family_name, recipient.given_name, recipient.date_of_birth) == (
        PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_DOB)
    assert recipient.name == f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}"
    assert PATIENT_MRN not in repr(report)  # not even from the wristband scan the bedside recorded


@contextmanager
def _counting(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_the_report_is_read_in_a_bounded_number_of_queries(
    database: Database, settings: Settings, chain: InfusedTherapy
) -> None:
    viewer = chain.investigator.principal
    with _counting(database) as before:
        first = _report(database, chain.coi, viewer)
    # More of every kind of row: hand-overs, a label reprint, a refused check with its deviation.
    clinic = make_user(database, Role.NURSE)
    hand_over(database, chain.spare_id, chain.bench.operator, chain.courier, "GMP dispatch bench", 4.0)
    hand_over(database, chain.spare_id, chain.courier, clinic, "Ward 7 infusion suite", 5.0)
    reprint_label(database, settings, chain.bench, chain.spare_id)
    refused_check(database, chain.din, chain.spare_id, clinic, chain.qa)
    with _counting(database) as after:
        second = _report(database, chain.coi, viewer)
    assert len(second.custody) == len(first.custody) + 2
    assert len(second.label_prints) == len(first.label_prints) + 1
    assert len(second.bedside_checks) == len(first.bedside_checks) + 1
    assert len(second.deviations) == len(first.deviations) + 1
    assert len(second.signatures) == len(first.signatures) + 1
    assert len(before) <= 20
    assert len(after) == len(before)
