"""The demonstration: its therapies stand at the stages it claims, over the weeks before today, so that every
role finds work on its list; its growth curves are real; its trail reads in time order and verifies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.batch_record import assemble
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.demo import quality as demo_quality
from batchtrack.demo import therapies, walkthrough
from batchtrack.enrolment import service as enrolment_service
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.lot import Lot
from batchtrack.models.user import User
from batchtrack.processing import service as step_service
from batchtrack.quality import results
from batchtrack.release import service as release_service
from batchtrack.worklist import service as worklist_service
from batchtrack.worklist.rules import Kind
from tests.conftest import PostgresCloner


@dataclass(frozen=True)
class Built:
    """The demonstration built once for this module's tests."""

    database: Database
    settings: Settings
    summary: walkthrough.DemoSummary


@pytest.fixture(scope="module")
def built(_pg_cloner: PostgresCloner | None, _sqlite_template: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("demo")
    if _pg_cloner is None:
        shutil.copyfile(_sqlite_template, folder / "demo.sqlite3")
        name, url = "", f"sqlite:///{folder / 'demo.sqlite3'}"
    else:
        name = _pg_cloner.clone()
        url = _pg_cloner.url_of(name)
    settings = Settings(environment="test", database_url=url, data_dir=folder, facility_fin="W0000",
                        facility_name="Demo Cell Therapy Facility", secret_key="test-secret-" + "x" * 32,
                        display_timezone="Asia/Seoul")
    database = Database(make_engine(url))
    yield Built(database, settings, walkthrough.run(database=database, settings=settings))
    database.dispose()
    if _pg_cloner is not None:
        _pg_cloner.drop(name)


def _collection_of(session: Session, subject: str) -> Collection:
    therapy = enrolment_service.therapy_of(
        session=session, recipient=enrolment_service.get_recipient(session=session, subject_code=subject))
    assert therapy is not None
    (collection,) = collection_service.of_therapy(session=session, therapy=therapy)
    return collection


def _lot_of(session: Session, subject: str) -> Lot:
    return lot_service.get_by_din(session=session, din=_collection_of(session, subject).din)


def _steps(session: Session, lot: Lot) -> dict[str, str]:
    return {code: step.state for code, step in step_service.steps_of(session=session, lot=lot).items()}


def _entered(session: Session, lot: Lot) -> set[str]:
    return {t.code for t in results.results_of(session=session, lot=lot).tests if t.in_force is not None}


S01, S02, S03, S04, S05, S06, S07 = (s.code for s in therapies.SUBJECTS)


def test_the_first_subject_s_lot_is_infused_and_returned(built: Built) -> None:
    with built.database.transaction() as session:
        lot = _lot_of(session, S01)
        assert (built.summary.lot_din, built.summary.coi) == (lot.din, f"CH{lot.din}")
        assert lot.state == "infused"
        assert release_service.decision_of(session=session, lot=lot) is not None
        # The 14-day sterility of a lot infused days ago is still running.
        assert "sterility" in _entered(session, lot)


def test_qa_finds_the_deviation_opened_after_the_infusion_still_open(built: Built) -> None:
    with built.database.transaction() as session:
        lot = _lot_of(session, S01)
        qa = auth_service.principal_for(session=session, user=session.query(User).filter_by(username="qa").one())
        work = worklist_service.worklist(session=session, viewer=qa, zone=built.settings.zone)
    deviations = next(section for section in work.sections if section.kind is Kind.DEVIATION_OPEN)
    assert len(deviations.items) == 1 and lot.din in str(deviations.items[0].title)
    assert str(deviations.items[0].reasons[0]) == therapies.DEVIATION


def test_each_other_subject_stands_at_its_stage(built: Built) -> None:
    now = utcnow()
    with built.database.transaction() as session:
        awaiting = _collection_of(session, S02)
        assert awaiting.state == "scheduled" and awaiting.scheduled_for is not None
        assert awaiting.scheduled_for > now
        in_transit = _collection_of(session, S03)
        assert in_transit.state == "in_transit"
        # Collected at a working hour of the aspiration suite, the lab's 24 h receipt window still open.
        assert in_transit.collected_at is not None
        assert now - timedelta(hours=21) < in_transit.collected_at < now
        assert in_transit.collected_at.astimezone(built.settings.zone).hour in (9, 14)
        assert collection_service.lot_din_of(session=session, collection=in_transit) is None

        expanding = _lot_of(session, S04)
        assert expanding.state == "in_process"
        assert _steps(session, expanding) == {"isolation": "verified", "passage_1": "completed",
                                              "passage_2": "completed"}

        in_qc = _lot_of(session, S05)
        assert in_qc.state == "in_qc"
        entered = _entered(session, in_qc)
        assert "gram_stain" in entered and "sterility" not in entered and "cd73" not in entered

        awaiting_release = _lot_of(session, S06)
        assert awaiting_release.state == "in_qc"
        assert len(_entered(session, awaiting_release)) == len(demo_quality.RESULTS)
        assert len(release_service.co_signatures(session=session, lot=awaiting_release)) == 2
        assert release_service.decision_of(session=session, lot=awaiting_release) is None

        shipped = _lot_of(session, S07)
        assert shipped.state == "shipped"
        for fresh in (in_qc, awaiting_release, shipped):
            # Formulated today: still within its shelf life, so the work left on it can be done.
            assert fresh.expires_at is not None and fresh.expires_at > now


def test_every_role_finds_work_on_its_list(built: Built) -> None:
    with built.database.transaction() as session:
        for username in walkthrough.DEMO_USERS:
            user = session.query(User).filter_by(username=username).one()
            viewer = auth_service.principal_for(session=session, user=user)
            work = worklist_service.worklist(session=session, viewer=viewer, zone=built.settings.zone)
            assert any(section.items for section in work.sections), username


def test_the_growth_curves_span_the_weeks_of_expansion(built: Built) -> None:
    with built.database.transaction() as session:
        for subject in (S01, S07, S06, S05):
            curve = assemble.assemble(session=session, lot=_lot_of(session, subject)).growth
            assert len(curve) == 2
            assert 14 <= curve[0].days < curve[1].days <= 28
            for point in curve:
                assert point.doubling_time_hours is not None and 24 <= point.doubling_time_hours <= 96


def test_the_trail_reads_in_time_order_over_weeks_and_verifies(built: Built) -> None:
    with built.database.engine.connect() as connection:
        moments = connection.execute(text("SELECT occurred_at FROM audit_entry ORDER BY seq")).scalars().all()
    assert moments == sorted(moments)
    first, last = (m if isinstance(m, str) else m.isoformat() for m in (moments[0], moments[-1]))
    assert first[:10] <= (utcnow() - timedelta(days=35)).date().isoformat() < last[:10]
    assert audit_service.verify_chain(built.database, jobs=1).broken_seq is None


def test_a_second_run_adds_nothing(built: Built) -> None:
    with built.database.engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one()
    again = walkthrough.run(database=built.database, settings=built.settings)
    assert (again.lot_din, again.coi) == (built.summary.lot_din, built.summary.coi)
    with built.database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == before
