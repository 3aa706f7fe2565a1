"""Properties of every parser of dates and times from outside: form fields, API fields and expiry barcodes.

Any text gives a time or the module's refusal; a time that is given back parses to the same instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BadRequest
from batchtrack.identifiers import isbt
from batchtrack.identifiers.din import IdentifierError
from batchtrack.models.user import Role
from batchtrack.scanning import parser as scan_parser
from batchtrack.web.rendering import parse_local_time
from batchtrack.web.validation import AwareTime

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]

ZONES = st.sampled_from([ZoneInfo("UTC"), ZoneInfo("Asia/Seoul"), ZoneInfo("America/Anchorage"),
                         ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Europe/Berlin")])
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
# Any time the calendar holds, with any offset: the ends of the calendar have no UTC equivalent for some offsets.
any_aware = st.datetimes(timezones=offsets)
time_like = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-:T .+Z", max_size=32),
    any_aware.map(datetime.isoformat),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
)
AWARE_TIME = TypeAdapter(AwareTime)


@given(time_like, ZONES)
@example("0001-01-01T00:00", ZoneInfo("Asia/Seoul"))
@example("9999-12-31T23:59-05:00", ZoneInfo("UTC"))
def test_a_form_time_is_a_utc_time_or_a_refusal(text: str, zone: ZoneInfo) -> None:
    try:
        moment = parse_local_time(text, zone)
    except BadRequest as refusal:
        assert refusal.status_code == 400 and refusal.message
        return
    assert moment is None or moment.tzinfo is UTC
    if moment is None:
        return
    shown = moment.astimezone(zone).replace(tzinfo=None)
    # What the form shows back is read as the same instant, unless that wall time happens twice (a clock set back).
    if shown.replace(tzinfo=zone, fold=0).utcoffset() == shown.replace(tzinfo=zone, fold=1).utcoffset():
        assert parse_local_time(shown.isoformat(), zone) == moment


@given(time_like)
@example("0001-01-01T00:00:00+05:00")
@example("9999-12-31T23:59:59-05:00")
def test_an_api_time_is_an_aware_time_with_a_utc_equivalent_or_a_validation_error(text: str) -> None:
    try:
        moment = AWARE_TIME.validate_python(text)
    except ValidationError as refusal:
        assert refusal.errors()
        return
    assert moment.tzinfo is not None
    assert AWARE_TIME.validate_python(moment.astimezone(UTC).isoformat()) == moment


@given(any_aware)
def test_an_expiry_is_encoded_for_the_years_2000_to_2999_or_refused(moment: datetime) -> None:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return  # no UTC equivalent: the API refuses it before it can become an expiry (AwareTime)
    try:
        structure = isbt.expiry_datetime_structure(moment)
    except IdentifierError as refusal:
        assert refusal.code == "expiry.century" and not 2000 <= utc.year <= 2999
        return
    assert scan_parser.parse_scan(structure) == scan_parser.ExpiryScan(
        utc.replace(second=0, microsecond=0), has_time=True)


@pytest.fixture
def expiry_url(database: Database, settings: Settings) -> str:
    """Where QA sets the expiry of a seeded lot."""
    return f"/api/v1/lots/{seed_lot(database, settings).din}/expiry"


@pytest.fixture
def qa_client(as_role: ClientFactory) -> TestClient:
    """A QA API client, shared by the generated requests of one test."""
    return as_role(Role.QA)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(time_like, st.text(max_size=30))
@example("0001-01-01T00:00:00+05:00", "")
@example("2999-12-31T23:59:00+00:00", "correction")
def test_any_expiry_time_by_api_is_recorded_or_refused_with_a_reason(qa_client: TestClient, expiry_url: str,
                                                                     text: str, reason: str) -> None:
    response = qa_client.put(expiry_url, json={"expires_at": text, "reason": reason})
    assert response.status_code in (200, 400, 409, 422), (text, response.status_code, response.text[:200])
    if response.status_code != 200:
        assert response.json()["message"]
