"""The dates people write (consent, a weighing visit) are days of the site's calendar: at 08:30 in Seoul the date is
already the next day in Seoul while it is still the day before in UTC, and "today" there is not "in the future"."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest

from batchtrack.db import Database
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.errors import Conflict
from batchtrack.i18n import moments
from batchtrack.models.base import recording_clock
from batchtrack.models.user import Role

from builders import PATIENT_MRN, enrolment, make_user

SEOUL = ZoneInfo("Asia/Seoul")
# 23:30 UTC on 5 January is 08:30 on 6 January in Seoul.
MORNING_IN_SEOUL = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
SEOUL_TODAY = date(2026, 1, 6)


def _enrol(database: Database, *, consent: date, visit: date, zone: tzinfo = SEOUL) -> None:
    investigator = make_user(database, Role.INVESTIGATOR)
    data = enrolment("S-301", PATIENT_MRN).model_copy(update={
        "consent_date": consent, "weight": enrolment_schemas.WeightCreate(visit_date=visit, weight_kg=61.0)})
    with recording_clock(lambda: MORNING_IN_SEOUL), database.transaction() as session:
        enrolment_service.enrol(session=session, actor=investigator.principal, data=data, zone=zone)


def test_the_site_day_is_the_calendar_date_in_its_zone() -> None:
    assert moments.day(MORNING_IN_SEOUL, SEOUL) == SEOUL_TODAY
    assert moments.day(MORNING_IN_SEOUL, UTC) == date(2026, 1, 5)


def test_a_consent_signed_this_morning_in_seoul_is_not_in_the_future(database: Database) -> None:
    _enrol(database, consent=SEOUL_TODAY, visit=SEOUL_TODAY)
    with database.transaction(write=False) as session:
        recipient = enrolment_service.get_recipient(session=session, subject_code="S-301")
        weight = enrolment_service.latest_weight(session=session, recipient=recipient)
    assert recipient.consent_date == SEOUL_TODAY and weight is not None and weight.visit_date == SEOUL_TODAY


def test_tomorrow_in_seoul_is_still_in_the_future(database: Database) -> None:
    with pytest.raises(Conflict) as refused:
        _enrol(database, consent=date(2026, 1, 7), visit=SEOUL_TODAY)
    assert refused.value.code == "enrolment.consent_future"
    with pytest.raises(Conflict) as refused:
        _enrol(database, consent=SEOUL_TODAY, visit=date(2026, 1, 7))
    assert refused.value.code == "weight.future"


def test_a_site_on_utc_time_refuses_the_date_that_seoul_has_reached(database: Database) -> None:
    with pytest.raises(Conflict) as refused:
        _enrol(database, consent=SEOUL_TODAY, visit=date(2026, 1, 5), zone=UTC)
    assert refused.value.code == "enrolment.consent_future"
