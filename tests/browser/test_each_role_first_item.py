"""Each role's first day in a real browser: sign in through the page, find one's own item under "My work" on the
home page, follow its link and do the first step there, checked afterwards in the record.

The operator receives the bag on its way (on a phone), the investigator acknowledges an alert (in Korean), the nurse
scans the wristband and the bag at the bedside and has the second clinician confirm, the collector records the
aspirate of a scheduled collection (in Korean, on a phone), the medical director co-signs a release pending
sterility, and the administrator records an instrument's calibration (in Korean).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from page_sign_in import sign_in_by_fields as _sign_in
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.collection import Collection
from batchtrack.models.equipment import Equipment
from batchtrack.models.quality import Alert, ReleaseApproval
from batchtrack.models.user import Role

from bedside_builders import at_clinic, bag_scan, wristband
from builders import PATIENT_FAMILY, UserHandle, collected_bag, enrol_eligible, make_user, seed_lot
from builders import bag_scan as aspirate_scan
from material_builders import registered_instrument
from release_builders import enter_result, raise_alert, ready_lot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SITE_TIME = "%Y-%m-%d %H:%M"


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _fill_signature(page: Page, field: str, user: UserHandle) -> None:
    """The signer's credentials: the user ID where the form asks for it (the first signature of a session)."""
    user_id = page.locator(f"#{field}-user-id")
    if user_id.count():
        user_id.fill(user.username)
    page.locator(f"#{field}").fill(user.password)


def _fits(page: Page) -> None:
    """The page does not scroll sideways, as the browser measures it."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url}: {wide} > {window}"


def test_the_operator_on_a_phone_receives_the_bag_on_its_way_from_the_list(
        page: Page, database: Database, settings: Settings) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    din = collected_bag(database, settings, clinician, coi)
    operator = make_user(database, Role.OPERATOR)
    page.set_viewport_size(PHONE)
    _sign_in(page, operator)
    bags = page.locator("#work-bag_in_transit")
    expect(bags).to_contain_text(f"Receive aspirate bag {din} (therapy {coi})")
    expect(bags).to_contain_text("left)")
    _fits(page)
    bags.get_by_role("link", name=f"Receive aspirate bag {din}").click()
    expect(page.locator("#expected_din")).to_have_value(din)
    expect(page.locator(f"#bag-{din}")).to_have_attribute("aria-current", "true")
    _fits(page)
    page.locator("#temperature_c").fill("19.5")
    for item in ("bag_intact", "seal_intact", "label_legible", "no_clots"):
        page.check(f"#check-{item}")
    page.check("input[name=decision][value=accept]")
    page.focus("#scan")
    wedge(page, aspirate_scan(din))
    expect(page.locator("#verdict")).to_contain_text("ACCEPTED")
    with database.transaction(write=False) as session:
        collection = session.execute(select(Collection).where(col(Collection.din) == din)).scalar_one()
        assert collection.state == "accepted"
        receipts = session.execute(select(AuditEntry).where(col(AuditEntry.entity_id) == din,
                                                            col(AuditEntry.actor_id) == operator.principal.user_id)
                                   ).scalars().all()
        assert receipts, "the receipt is audited under the operator"


def test_the_investigator_in_korean_acknowledges_the_alert_from_the_list(
        korean_page: Page, database: Database, settings: Settings) -> None:
    page = korean_page
    lot = seed_lot(database, settings)
    alert_id = raise_alert(database, lot.din, "Sterility positive at day 9: Staphylococcus epidermidis",
                           kind="post_release_sterility_positive")
    investigator = make_user(database, Role.INVESTIGATOR)
    _sign_in(page, investigator)
    alerts = page.locator("#work-clinic_alert")
    expect(alerts).to_contain_text(lot.din)
    expect(alerts).to_contain_text("출하 승인 후 무균 시험 양성 결과")
    expect(alerts).to_contain_text("Staphylococcus epidermidis")
    alerts.get_by_role("link").filter(has_text=lot.din).click()
    expect(page).to_have_url(f"{page.url.split('/alerts')[0]}/alerts")
    page.locator(f"#acknowledge-{alert_id}").click()
    expect(page.locator(f"#acknowledge-{alert_id}")).to_have_count(0)
    with database.transaction(write=False) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.acknowledged_at is not None
        assert alert.acknowledged_by == investigator.principal.user_id
    page.goto("/")
    expect(page.locator("#work-clinic_alert")).not_to_contain_text(lot.din)


def test_the_nurse_reaches_the_bedside_from_the_infusion_planned_and_the_check_passes(
        page: Page, database: Database, settings: Settings) -> None:
    lot, people = at_clinic(database, settings)
    _sign_in(page, people.nurse)
    infusions = page.locator("#work-infusion_planned")
    expect(infusions).to_contain_text(f"Infuse lot {lot.din} (therapy {lot.coi}")
    infusions.get_by_role("link", name=f"Infuse lot {lot.din}").click()
    expect(page.locator("#wristband")).to_be_focused()
    wedge(page, wristband(lot.coi))
    expect(page.locator("#recipient")).to_contain_text(PATIENT_FAMILY.upper())
    expect(page.locator("#bag")).to_be_focused()
    wedge(page, bag_scan(database, lot.bag_ids[0]))
    expect(page.locator("#comparison-din .compare-label")).to_contain_text(lot.din)
    expect(page.locator("#comparison-coi .compare-mark")).to_have_text("✔ matches")
    expect(page.locator("#second")).to_be_focused()
    wedge(page, people.doctor.username)
    expect(page.locator("#second-password")).to_be_focused()
    page.keyboard.type(people.doctor.password)
    page.locator("#confirm").click()
    expect(page.locator("#verdict")).to_contain_text("PASS")
    with database.transaction(write=False) as session:
        [check] = session.execute(select(BedsideCheck)).scalars().all()
        assert check.ok
        assert check.second_clinician_id == people.doctor.principal.user_id


def test_the_collector_in_korean_on_a_phone_records_the_aspirate_of_the_scheduled_collection(
        korean_page: Page, database: Database, settings: Settings) -> None:
    page = korean_page
    investigator = make_user(database, Role.INVESTIGATOR)
    coi = enrol_eligible(database, settings, investigator)
    with database.transaction() as session:
        din = collection_service.schedule(
            session=session, settings=settings, actor=investigator.principal,
            data=collection_schemas.CollectionCreate(therapy_coi=coi, scheduled_for=utcnow() + timedelta(hours=2))
        ).din
    collector = make_user(database, Role.COLLECTOR)
    page.set_viewport_size(PHONE)
    _sign_in(page, collector)
    scheduled = page.locator("#work-collection_scheduled")
    expect(scheduled.get_by_role("heading")).to_have_text("예정된 채취 (1)")
    expect(scheduled).to_contain_text(f"골수 흡인물 {din} 채취(치료 {coi})")
    expect(scheduled).to_contain_text("남음")
    _fits(page)
    scheduled.get_by_role("link").filter(has_text=din).click()
    expect(page).to_have_url(f"{page.url.split('/collections')[0]}/collections/{din}")
    _fits(page)
    ended = utcnow().astimezone(settings.zone)
    page.locator("#started_at").fill((ended - timedelta(minutes=30)).strftime(SITE_TIME))
    page.locator("#ended_at").fill(ended.strftime(SITE_TIME))
    page.locator("#volume_ml").fill("55")
    page.locator("#volume_ml").press("Enter")
    expect(page.locator("#collection-state")).not_to_contain_text("예정")
    with database.transaction(write=False) as session:
        collection = session.execute(select(Collection).where(col(Collection.din) == din)).scalar_one()
        assert collection.state == "collected" and collection.volume_ml == 55.0
        assert collection.collector_id == collector.principal.user_id
    page.goto("/")
    expect(page.locator("#work-collection_scheduled")).not_to_contain_text(din)
    expect(page.locator("#work-bag_in_transit")).to_contain_text(din)


def test_the_medical_director_co_signs_the_release_pending_sterility_from_the_list(
        page: Page, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    _sign_in(page, lot.director)
    awaiting = page.locator("#work-release_awaiting")
    expect(awaiting).to_contain_text(f"Lot {lot.din}")
    awaiting.get_by_role("link").filter(has_text=lot.din).click()
    expect(page).to_have_url(f"{page.url.split('/lots')[0]}/lots/{lot.din}/release")
    form = page.locator("#co-sign-medical_director")
    _fill_signature(page, "co-sign-password-medical_director", lot.director)
    form.get_by_role("button", name="Sign as medical director").click()
    expect(page.locator("#pending-sterility .co-signatures")).to_contain_text("medical director")
    expect(page.locator("#co-sign-medical_director")).to_have_count(0)
    with database.transaction(write=False) as session:
        [approval] = session.execute(select(ReleaseApproval)).scalars().all()
        assert approval.role == "medical_director"
        assert approval.signed_by == lot.director.principal.user_id


def test_the_administrator_in_korean_records_the_calibration_due_from_the_list(
        korean_page: Page, database: Database, settings: Settings) -> None:
    page = korean_page
    admin = make_user(database, Role.ADMIN)
    code = registered_instrument(database, admin, "INC-0042", due_in=timedelta(days=3))
    _sign_in(page, admin)
    due = page.locator("#work-calibration_due")
    expect(due).to_contain_text("INC-0042")
    expect(due).to_contain_text("남음")
    due.get_by_role("link").filter(has_text=code).click()
    expect(page).to_have_url(f"{page.url.split('/equipment')[0]}/equipment/{code}")
    following = (utcnow() + timedelta(days=180)).astimezone(settings.zone)
    page.locator("#calibration_due").fill(following.strftime(SITE_TIME))
    page.locator("#certificate").fill("CAL-2026-118, calibrated by the vendor")
    page.locator("#do-calibrate").click()
    expect(page.locator("#calibration-due")).to_contain_text(following.strftime("%Y-%m-%d %H:%M"))
    with database.transaction(write=False) as session:
        equipment = session.execute(select(Equipment).where(col(Equipment.code) == code)).scalar_one()
        assert equipment.calibration_due > utcnow() + timedelta(days=179)
    page.goto("/")
    expect(page.locator("#work-calibration_due")).not_to_contain_text(code)
