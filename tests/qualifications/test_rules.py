"""The qualification rules as pure functions: who may do an activity on a given day, the expiry of a grant, who may
grant or revoke, and the requirements files checked at start-up."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import Reason
from batchtrack.main import create_app
from batchtrack.qualifications import gates, requirements
from batchtrack.qualifications.requirements import Qualification, RequirementsError

CULTURE = Qualification("GMP-CULTURE", "MSC culture", 12)
PASSAGE = requirements.process_step("BM-MSC-EXP", "passage", "perform")
DAY = date(2026, 12, 7)


def _codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_a_current_qualification_admits_and_its_absence_refuses_with_what_is_needed() -> None:
    assert gates.activity_refusals(activity=PASSAGE, needed=CULTURE, held={"GMP-CULTURE": DAY + timedelta(days=1)},
                                   today=DAY, person="Ara Jung") == []
    missing = gates.activity_refusals(activity=PASSAGE, needed=CULTURE, held={"QC-FLOW": DAY + timedelta(days=90)},
                                      today=DAY, person="Ara Jung")
    assert _codes(missing) == ["qualification.missing"]
    assert "Ara Jung" in missing[0].message and "GMP-CULTURE" in missing[0].message
    assert "performing the passage step" in missing[0].message


def test_a_qualification_has_expired_on_its_expiry_date_and_the_refusal_names_that_date() -> None:
    held = {"GMP-CULTURE": DAY}
    expired = gates.activity_refusals(activity=PASSAGE, needed=CULTURE, held=held, today=DAY, person="Ara Jung")
    assert _codes(expired) == ["qualification.expired"]
    assert "expired on 2026-12-07" in expired[0].message
    assert gates.activity_refusals(activity=PASSAGE, needed=CULTURE, held=held, today=DAY - timedelta(days=1),
                                   person="Ara Jung") == []


def test_an_activity_the_requirements_name_nothing_for_is_refused_to_everyone() -> None:
    refused = gates.activity_refusals(activity=requirements.qc_test("MSC-FP", "new_assay"), needed=None,
                                      held={"GMP-CULTURE": DAY + timedelta(days=300)}, today=DAY, person="Yuna Shin")
    assert _codes(refused) == ["qualification.undefined"]


@given(held=st.dictionaries(st.sampled_from(["GMP-CULTURE", "GMP-CRYO", "QC-FLOW"]),
                            st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1))),
       today=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)))
def test_the_rule_admits_exactly_a_holder_whose_expiry_is_still_ahead(held: dict[str, date], today: date) -> None:
    refused = gates.activity_refusals(activity=PASSAGE, needed=CULTURE, held=held, today=today, person="p")
    admitted = "GMP-CULTURE" in held and held["GMP-CULTURE"] > today
    assert (refused == []) == admitted
    assert len(refused) <= 1


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), months=st.integers(1, 120))
def test_a_validity_in_months_lands_in_the_right_month_never_past_its_last_day(day: date, months: int) -> None:
    later = gates.add_months(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day <= day.day and (later.day == day.day or later.day >= 28)


def test_the_matrix_standing_marks_expired_and_expiring_within_thirty_days() -> None:
    assert gates.standing(DAY, DAY) == "expired"
    assert gates.standing(DAY + timedelta(days=30), DAY) == "expiring"
    assert gates.standing(DAY + timedelta(days=31), DAY) == "current"


def _grant(**changes: Any) -> gates.GrantFacts:
    """QA (user 1) granting GMP-CULTURE to user 2 for 200 days, with `changes`."""
    return replace(gates.GrantFacts(qualification=CULTURE, code="GMP-CULTURE", expires_on=DAY + timedelta(days=200),
                                    may_train=False, today=DAY, grantee_id=2, grantee_active=True, trainer_id=1,
                                    trainer_is_qa=True, trainer_trains_it=False), **changes)


def test_qa_grants_any_qualification_and_a_flagged_trainer_only_their_own_without_the_flag() -> None:
    assert gates.grant_refusals(_grant()) == []
    assert gates.grant_refusals(_grant(trainer_is_qa=False, trainer_trains_it=True)) == []
    assert _codes(gates.grant_refusals(_grant(trainer_is_qa=False))) == ["qualification.not_trainer"]
    assert _codes(gates.grant_refusals(_grant(trainer_is_qa=False, trainer_trains_it=True,
                                                may_train=True))) == ["qualification.trainer_flag"]


def test_nobody_grants_themselves_an_inactive_user_or_an_expiry_outside_the_validity() -> None:
    assert _codes(gates.grant_refusals(_grant(trainer_id=2))) == ["qualification.self_grant"]
    assert _codes(gates.grant_refusals(_grant(grantee_active=False))) == ["user.inactive"]
    assert _codes(gates.grant_refusals(_grant(expires_on=DAY))) == ["qualification.expiry_past"]
    too_late = gates.grant_refusals(_grant(expires_on=date(2027, 12, 8)))
    assert _codes(too_late) == ["qualification.expiry_too_late"] and "2027-12-07" in too_late[0].message
    assert gates.grant_refusals(_grant(expires_on=date(2027, 12, 7))) == []
    assert _codes(gates.grant_refusals(_grant(qualification=None, code="NOPE"))) == [
        "qualification.unknown"]


def test_only_the_grant_in_force_is_revoked_by_another_person_with_a_reason() -> None:
    assert gates.revoke_refusals(current=True, revoker_id=1, holder_id=2, reason="failed reassessment") == []
    assert _codes(gates.revoke_refusals(current=False, revoker_id=2, holder_id=2, reason=" ")) == [
        "qualification.not_current", "qualification.self_revoke", "reason_required"]


def _shipped() -> tuple[dict[str, Any], dict[str, Any]]:
    return (tomllib.loads(requirements.CATALOGUE_FILE.read_text(encoding="utf-8")),
            tomllib.loads(requirements.REQUIREMENTS_FILE.read_text(encoding="utf-8")))


def test_the_shipped_requirements_name_a_qualification_for_every_step_test_decision_and_check() -> None:
    loaded = requirements.load()
    assert loaded.needed_for(requirements.process_step("BM-MSC-EXP", "isolation", "verify")) == "GMP-ISOLATION"
    assert loaded.needed_for(requirements.qc_test("MSC-FP", "mycoplasma")) == "QC-MYCO"
    assert loaded.needed_for(requirements.RELEASE_DECISION) == "QA-RELEASE"
    assert loaded.needed_for(requirements.INFUSION) == "CLIN-INFUSION"
    assert set(loaded.needs.values()) <= set(loaded.catalogue)


@pytest.mark.parametrize(("where", "change", "words"), [
    ("catalogue", lambda c, r: c.pop("QC-MYCO"), "not in catalogue.toml"),
    ("requirements", lambda c, r: r["specification"]["MSC-FP"].pop("endotoxin"), "tests left out ['endotoxin']"),
    ("requirements", lambda c, r: r["specification"]["MSC-FP"].update(new_assay="QC-FLOW"), "unknown tests"),
    ("requirements", lambda c, r: r["process"]["BM-MSC-EXP"].update(sorting={"perform": "GMP-CULTURE"}),
     "has no step sorting"),
    ("requirements", lambda c, r: r["process"]["BM-MSC-EXP"]["thaw"].pop("verify"), "step thaw must name"),
    ("requirements", lambda c, r: r["process"].update({"CAR-T": {}}), "no process CAR-T"),
    ("requirements", lambda c, r: r["bedside"].update(apheresis="CLIN-BEDSIDE"), "[bedside] must name exactly"),
    ("requirements", lambda c, r: r.update(training={}), "unknown sections"),
    ("catalogue", lambda c, r: c["GMP-CRYO"].update(validity_months=0), "bad code, title or validity"),
])
def test_a_broken_catalogue_or_requirements_file_stops_the_start_naming_what_is_wrong(
        where: str, change: Callable[[dict[str, Any], dict[str, Any]], object], words: str) -> None:
    catalogue, needs = (copy.deepcopy(part) for part in _shipped())
    change(catalogue, needs)
    with pytest.raises(RequirementsError) as refused:
        requirements.parse(catalogue, needs)
    assert words in str(refused.value), where


def test_the_application_does_not_start_with_a_broken_requirements_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, database: Database) -> None:
    broken = tmp_path / "requirements.toml"
    broken.write_text(requirements.REQUIREMENTS_FILE.read_text(encoding="utf-8").replace(
        'mycoplasma = "QC-MYCO"', 'mycoplasma = "QC-MYCOPLASMA"'), encoding="utf-8")
    monkeypatch.setattr(requirements, "REQUIREMENTS_FILE", broken)
    requirements.load.cache_clear()
    try:
        with pytest.raises(RequirementsError, match="QC-MYCOPLASMA"):
            create_app(settings, database)
    finally:
        monkeypatch.undo()
        requirements.load.cache_clear()
    assert create_app(settings, database) is not None
