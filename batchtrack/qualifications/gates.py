"""The rules of qualifications (pure): who may do an activity, who may grant or revoke, which expiry is allowed.

Each function takes plain facts and returns every reason it refuses (empty: allowed); it does no I/O. A grant is
valid up to the day before `expires_on`: on that date the qualification has expired.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from batchtrack.errors import Reason
from batchtrack.i18n.text import _
from batchtrack.qualifications.requirements import Activity, Qualification

MISSING = "qualification.missing"
EXPIRED = "qualification.expired"
UNDEFINED = "qualification.undefined"
# How far ahead the training matrix warns of an expiry.
EXPIRING_DAYS = 30
# The refusals of a grant that say who may grant (the others say what may be granted).
PERMISSION_CODES = frozenset({"qualification.self_grant", "qualification.not_trainer", "qualification.trainer_flag"})


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months on, on the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def activity_refusals(*, activity: Activity, needed: Qualification | None, held: Mapping[str, date], today: date,
                      person: str) -> list[Reason]:
    """Why `person`, holding `held` (code -> expiry date), may not do `activity` today; empty when they may.

    `needed` is the qualification the requirements name for the activity (None: none is named, which refuses too:
    an activity nobody is trained for is done by nobody).
    """
    if needed is None:
        return [Reason(UNDEFINED, _("no qualification is named for {activity}: the training lead must add it "
                                    "to the qualification requirements before anyone may do it",
                                    activity=activity.described))]
    expires_on = held.get(needed.code)
    if expires_on is None:
        return [Reason(MISSING, _("{person} is not qualified for {activity}: it needs {code} ({title})",
                                  person=person, activity=activity.described, code=needed.code,
                                  title=needed.title))]
    if expires_on <= today:
        return [Reason(EXPIRED, _("{person}'s qualification {code} ({title}) expired on {expires_on}: "
                                  "retraining is needed for {activity}", person=person, code=needed.code,
                                  title=needed.title, expires_on=expires_on.isoformat(),
                                  activity=activity.described))]
    return []


def standing(expires_on: date, today: date) -> Literal["current", "expiring", "expired"]:
    """How a held qualification stands today: `expired`, `expiring` (within EXPIRING_DAYS) or `current`."""
    if expires_on <= today:
        return "expired"
    return "expiring" if (expires_on - today).days <= EXPIRING_DAYS else "current"


@dataclass(frozen=True, slots=True)
class GrantFacts:
    """A grant about to be signed, and what is recorded about the people and the qualification."""

    qualification: Qualification | None  # None: the code is not in the catalogue
    code: str
    expires_on: date
    may_train: bool
    today: date
    grantee_id: int
    grantee_active: bool
    trainer_id: int | None
    trainer_is_qa: bool
    trainer_trains_it: bool  # the trainer holds this qualification, current, flagged as trainer


def grant_refusals(facts: GrantFacts) -> list[Reason]:
    """Why the trainer may not grant this qualification; empty when they may.

    QA may grant any qualification, and name the holder a trainer of it; a holder flagged as trainer of a current
    qualification may grant that one qualification (not the trainer flag). Nobody grants themselves.
    """
    reasons: list[Reason] = []
    if facts.qualification is None:
        return [Reason("qualification.unknown", _("no qualification {code} is in the catalogue",
                                                   code=repr(facts.code[:32])))]
    if facts.trainer_id is None or facts.trainer_id == facts.grantee_id:
        reasons.append(Reason("qualification.self_grant", _("a qualification is granted by another person")))
    if not facts.trainer_is_qa and not facts.trainer_trains_it:
        reasons.append(Reason("qualification.not_trainer", _("only QA or a current trainer of {code} grants it",
                                                             code=facts.code)))
    if facts.may_train and not facts.trainer_is_qa:
        reasons.append(Reason("qualification.trainer_flag", _("only QA names a trainer")))
    if not facts.grantee_active:
        reasons.append(Reason("user.inactive", _("the account is deactivated")))
    latest = add_months(facts.today, facts.qualification.validity_months)
    if facts.expires_on <= facts.today:
        reasons.append(Reason("qualification.expiry_past", _("the expiry date must be after today")))
    elif facts.expires_on > latest:
        reasons.append(Reason("qualification.expiry_too_late",
                              _("{code} is valid for {months} months at most: expiry on {latest} or earlier",
                                code=facts.code, months=facts.qualification.validity_months,
                                latest=latest.isoformat())))
    return reasons


def revoke_refusals(*, current: bool, revoker_id: int | None, holder_id: int, reason: str) -> list[Reason]:
    """Why QA may not revoke this grant; empty when they may (only the grant in force, with a reason)."""
    reasons: list[Reason] = []
    if not current:
        reasons.append(Reason("qualification.not_current", _("only the grant in force is revoked: this one was "
                                                             "revoked or granted again since")))
    if revoker_id is None or revoker_id == holder_id:
        reasons.append(Reason("qualification.self_revoke", _("a qualification is revoked by another person")))
    if not reason.strip():
        reasons.append(Reason("reason_required", _("say why the qualification is revoked")))
    return reasons
