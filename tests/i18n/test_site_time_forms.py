"""Forms take the site's date and time in ISO order, 24-hour, whatever the browser's language: a text field with its
format and zone beside it (not a `datetime-local` picker, which follows the browser's locale: 12-hour 오전/오후 in a
Korean browser, mm/dd/yyyy in an American one), read in the site's zone and shown back in it; anything else is
refused with the format it should have."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.equipment import service as equipment_service
from batchtrack.errors import BadRequest
from batchtrack.i18n import catalogs
from batchtrack.i18n.text import shown_str
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role
from batchtrack.web.rendering import FORM_TIME_PATTERN, form_time, parse_local_time

from builders import make_user
from material_builders import HTML, csrf_of, signed_in

SEOUL = ZoneInfo("Asia/Seoul")
KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Every form that asks for a time, and the field.
TIME_FIELDS = {
    "bedside/check.html": ("started_at", "ended_at"), "materials/materials.html": ("expires_at",),
    "review/audit.html": ("since", "until"), "equipment/equipment_list.html": ("calibration_due",),
    "equipment/equipment.html": ("calibration_due",), "collections/collection.html": ("started_at", "ended_at"),
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: its times in Seoul."""
    settings.display_timezone = "Asia/Seoul"
    return settings


def _next_year() -> int:
    return utcnow().year + 1


def _refusal(text: str) -> str:
    with pytest.raises(BadRequest) as refused:
        parse_local_time(text, SEOUL)
    assert refused.value.status_code == 400 and refused.value.code == "form_invalid"
    return shown_str(refused.value.text, catalogs.translations("en"))


@pytest.mark.parametrize("entered", ["2026-12-08 14:30", "2026-12-08T14:30", " 2026-12-08  14:30 ", "202612081430",
                                     "20261208T1430", "2026-12-8 14:30"])
def test_a_form_time_is_the_sites_wall_time_in_iso_order_24_hour(entered: str) -> None:
    assert parse_local_time(entered, SEOUL) == datetime(2026, 12, 8, 5, 30, tzinfo=UTC)


def test_seconds_are_kept_and_an_explicit_offset_is_read_as_written() -> None:
    assert parse_local_time("2026-12-08 14:30:15", SEOUL) == datetime(2026, 12, 8, 5, 30, 15, tzinfo=UTC)
    # The audit trail's links to its next page carry the filter in UTC, with its offset.
    assert parse_local_time("2026-12-08T05:30:00+00:00", SEOUL) == datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    assert parse_local_time("2026-12-08 14:30+09:00", ZoneInfo("UTC")) == datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    assert parse_local_time("", SEOUL) is None and parse_local_time("   ", SEOUL) is None


@pytest.mark.parametrize("entered", ["12/08/2026 2:30 PM", "2026-12-08 오후 2:30", "2026-12-08", "14:30",
                                     "2026.12.08 14:30", "tomorrow"])
def test_a_time_in_another_form_is_refused_with_the_format_and_the_zone(entered: str) -> None:
    message = _refusal(entered)
    assert message == f"{entered!r} is not a date and time: enter it as YYYY-MM-DD HH:MM (24-hour, KST)"


@pytest.mark.parametrize("entered", ["2026-13-08 14:30", "2026-02-30 10:00", "2026-12-08 24:00", "2026-12-08 14:60",
                                     "2026-12-08 14:30:61", "2026-12-08 14:30+24:00"])
def test_a_time_not_on_the_calendar_is_refused_with_the_format(entered: str) -> None:
    message = _refusal(entered)
    assert message == (f"{entered!r} is not a date and time on the calendar: enter it as YYYY-MM-DD HH:MM "
                       "(24-hour, KST)")


def test_a_time_without_a_utc_equivalent_is_refused() -> None:
    assert _refusal("0001-01-01 00:00") == "'0001-01-01 00:00' is outside the times that can be recorded"


def test_the_browser_lets_through_only_what_the_server_reads() -> None:
    pattern = re.compile(FORM_TIME_PATTERN)  # the browser anchors a field's pattern at both ends
    for entered in ("2026-12-08 14:30", "2026-12-08T14:30", "2026-12-08 14:30:15", "202612081430"):
        assert pattern.fullmatch(entered) and parse_local_time(entered, SEOUL) is not None
    for entered in ("12/08/2026 14:30", "2026-12-08 2:30 PM", "2026-12-08"):
        assert not pattern.fullmatch(entered)


def test_a_time_is_shown_back_in_the_form_as_it_is_entered() -> None:
    assert form_time(datetime(2026, 12, 8, 5, 30, tzinfo=UTC), SEOUL) == "2026-12-08 14:30"
    assert form_time(None, SEOUL) == ""


@pytest.mark.parametrize("template", sorted(TIME_FIELDS))
def test_no_form_asks_for_a_time_with_the_browsers_picker(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    assert "datetime-local" not in source
    for name in TIME_FIELDS[template]:
        assert re.search(rf'site_time_field\("[^"]+", "{name}"', source), name


def test_no_template_uses_the_browsers_date_and_time_picker() -> None:
    assert [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
            if 'type="datetime-local"' in p.read_text(encoding="utf-8")] == []


def test_the_time_field_names_its_format_and_the_sites_zone(
    client: TestClient, database: Database, settings: Settings
) -> None:
    signed_in(client, make_user(database, Role.QA))
    page = client.get("/equipment", headers=HTML).text
    field = re.search(r'<input id="calibration_due"[^>]*>', page)
    assert field, page
    assert 'type="datetime-local"' not in field.group(0)
    assert 'inputmode="numeric"' in field.group(0) and 'placeholder="YYYY-MM-DD HH:MM"' in field.group(0)
    assert 'pattern="' in field.group(0) and "required" in field.group(0)
    assert 'id="calibration_due-hint">YYYY-MM-DD HH:MM, 24-hour, KST</span>' in page
    korean = client.get("/equipment", headers=KOREAN).text
    assert 'id="calibration_due-hint">YYYY-MM-DD HH:MM, 24시간제, KST</span>' in korean


def test_a_time_entered_in_seoul_is_recorded_in_utc_and_shown_back_in_seoul_time(
    client: TestClient, database: Database, settings: Settings
) -> None:
    signed_in(client, make_user(database, Role.QA))
    year = _next_year()
    registered = client.post("/equipment", headers=HTML, follow_redirects=False, data={
        "code": "CC-KST", "kind": "cell_counter", "description": "Automated cell counter", "location": "Suite A",
        "calibration_due": f"{year}-12-08 14:30", "csrf_token": csrf_of(client, "/equipment")})
    assert registered.status_code == 303, registered.text[:500]
    with database.transaction(write=False) as session:
        due = equipment_service.get_by_code(session=session, code="CC-KST").calibration_due
    assert due == datetime(year, 12, 8, 5, 30, tzinfo=UTC)
    page = client.get("/equipment/CC-KST", headers=HTML).text
    assert f"{year}-12-08 14:30 KST" in page


def test_a_time_in_a_browsers_own_format_is_refused_on_the_page_with_the_format(
    client: TestClient, database: Database, settings: Settings
) -> None:
    signed_in(client, make_user(database, Role.QA))
    form = {"code": "CC-US", "kind": "cell_counter", "description": "Automated cell counter",
            "calibration_due": "12/08/2026 02:30 PM", "csrf_token": csrf_of(client, "/equipment")}
    refused = client.post("/equipment", headers=HTML, data=form)
    assert refused.status_code == 400
    assert "is not a date and time: enter it as YYYY-MM-DD HH:MM (24-hour, KST)" in refused.text
    korean = client.post("/equipment", headers=KOREAN, data=form)
    assert korean.status_code == 400
    assert "날짜와 시각이 아닙니다. YYYY-MM-DD HH:MM 형식(24시간제, KST)으로 입력하십시오" in korean.text
    impossible = client.post("/equipment", headers=HTML, data={**form, "calibration_due": "2026-12-08 25:00"})
    assert impossible.status_code == 400 and "not a date and time on the calendar" in impossible.text


def test_the_audit_filter_shows_its_times_back_as_entered(
    client: TestClient, database: Database, settings: Settings
) -> None:
    signed_in(client, make_user(database, Role.QA))
    page = client.get("/audit", headers=HTML, params={"since": "2026-12-08T14:30", "until": "202612091000"}).text
    assert re.search(r'<input id="f-since" name="since" type="text" value="2026-12-08 14:30"', page), page
    assert re.search(r'<input id="f-until" name="until" type="text" value="2026-12-09 10:00"', page)
    # The CSV link carries the filter as the instant it is (UTC), which the filter reads back the same.
    assert "since=2026-12-08T05%3A30%3A00%2B00%3A00" in page

