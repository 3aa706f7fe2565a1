"""Demonstration data: a facility's users, and its subjects' therapies over the weeks before today.

The first subject is walked through the whole chain (its lot infused); the others stand at the stages before,
so that every role has work. Each step is recorded at the moment it would have happened, through the services.
Safe to run twice: what already exists is kept, and the summary is printed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.demo import bedside as demo_bedside
from batchtrack.demo import expansion as demo_expansion
from batchtrack.demo import quality as demo_quality
from batchtrack.demo import therapies
from batchtrack.demo import training as demo_training
from batchtrack.demo.timeline import Story, Timeline, tell
from batchtrack.enrolment import service as enrolment_service
from batchtrack.i18n.text import Text, _
from batchtrack.models.base import recording_clock
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.user import Role, User
from batchtrack.quality import specifications

log = logging.getLogger(__name__)

# The subject whose therapy is walked through the whole chain (its lot infused).
DEMO_SUBJECT = therapies.SUBJECTS[0].code
DEMO_PASSWORD_PREFIX = "demo-pass-2026-"  # noqa: S105 - demo installations only
DEMO_USERS: dict[str, tuple[str, set[Role]]] = {
    "investigator": ("Dr. Mina Park", {Role.INVESTIGATOR}),
    "nurse": ("Hana Lee", {Role.NURSE}),
    "collector": ("Jun Choi", {Role.COLLECTOR}),
    "courier": ("Sam Kang", {Role.COURIER}),
    "operator": ("Ara Jung", {Role.OPERATOR}),
    "operator2": ("Tae Yoon", {Role.OPERATOR}),
    "analyst": ("Yuna Shin", {Role.QC_ANALYST}),
    "qa": ("Dr. Ji-ho Han", {Role.QA}),
    "director": ("Dr. Seo Lim", {Role.MEDICAL_DIRECTOR}),
    "admin": ("Site Administrator", {Role.ADMIN}),
    "qalead": ("Dr. Eun-ji Seo", {Role.QA}),  # head of QA: the training lead who grants qualifications
}


def demo_password(username: str) -> str:
    """The demo password of a demo user (demo installations only): numbered, as a password may not contain the
    user name."""
    return f"{DEMO_PASSWORD_PREFIX}{list(DEMO_USERS).index(username) + 1:02d}"


@dataclass
class DemoSummary:
    """What the demo created or found, for printing."""

    users: list[tuple[str, str, str]] = field(default_factory=list)
    coi: str = ""
    lot_din: str = ""
    steps: list[Text] = field(default_factory=list)
    spec: tuple[str, int] = ("", 0)


def _ensure_users(session: Session, summary: DemoSummary) -> dict[str, Principal]:
    actors: dict[str, Principal] = {}
    for username, (full_name, roles) in DEMO_USERS.items():
        user = session.execute(select(User).where(col(User.username) == username)).scalar_one_or_none()
        if user is None:
            user = auth_service.create_user(session=session, actor=SYSTEM, username=username,
                                            full_name=full_name, password=demo_password(username), roles=roles)
        actors[username] = auth_service.principal_for(session=session, user=user)
        summary.users.append((username, demo_password(username), ", ".join(sorted(r.value for r in roles))))
    return actors


def _open_facility(f: therapies.Facility, summary: DemoSummary) -> Story:
    """The facility before its first subject: qualifications, materials and instruments, the specification."""
    yield f.timeline.day(42, 10)
    granted = demo_training.qualify(session=f.session, actors=f.actors, lead="qalead", deputy="qa",
                                    password_of=demo_password)
    summary.steps.append(_("{count} qualifications granted by the training lead, each signed", count=len(granted)))
    yield f.timeline.day(36, 9)
    f.codes.update(demo_expansion.stock(session=f.session, settings=f.settings, crew=f.crew))
    yield f.timeline.day(36, 10)
    qa = f.actors["qa"]
    spec = specifications.draft_shipped_default(session=f.session, actor=qa)
    specifications.approve(session=f.session, actor=qa, code=spec.code, version=spec.version,
                           username=qa.username, password=demo_password("qa"))
    summary.spec = (spec.code, spec.version)


def _told(summary: DemoSummary, first: therapies.Course, done: therapies.Progress) -> list[Text]:
    """The fully built therapy's walk through the chain, in words."""
    code, version = summary.spec
    return [
        _("subject {subject} enrolled in KCT0004337 (lupus nephritis), consent recorded", subject=first.subject.code),
        _("eligibility signed by the investigator: therapy opened, COI identifier {coi}", coi=done.coi),
        _("marrow aspirate collected: DIN {din}", din=done.din),
        _("bag label printed, applied and verified by scan"),
        _("bag handed collector -> courier -> GMP operator, each hand-over scanned"),
        _("received and accepted at the lab: lot {din} opened", din=done.din),
        *demo_expansion.told(),
        _("release specification {code} version {version} approved by QA (signed)", code=code, version=version),
        _("2 QC samples registered; lot submitted to QC"),
        *demo_quality.told(done.din),
        *demo_bedside.told(done.coi),
    ]


def _build(session: Session, settings: Settings, summary: DemoSummary) -> None:
    """Open the facility weeks ago and tell every therapy's course up to today, each step at its moment."""
    timeline = Timeline(settings.zone)
    with recording_clock(timeline):
        timeline.set(timeline.day(42, 9))
        actors = _ensure_users(session, summary)
        facility = therapies.Facility(session=session, settings=settings, actors=actors, password_of=demo_password,
                                      timeline=timeline)
        courses = therapies.courses(timeline)
        made = [therapies.Progress() for _course in courses]
        tell([_open_facility(facility, summary),
              *(therapies.story(facility, course, done) for course, done in zip(courses, made, strict=True))],
             timeline)
    summary.steps.extend(_told(summary, courses[0], made[0]))
    summary.steps.append(_("the other subjects, each at a stage of the chain (every role has work):"))
    summary.steps.extend(therapies.stage_of(course, done) for course, done in zip(courses[1:], made[1:],
                                                                                   strict=True))


def run(*, database: Database, settings: Settings) -> DemoSummary:
    """Create the demo data once (in one transaction) and describe it."""
    summary = DemoSummary()
    with database.transaction() as session:
        recipient = session.execute(
            select(Recipient).where(col(Recipient.subject_code) == DEMO_SUBJECT)).scalar_one_or_none()
        if recipient is None:
            _build(session, settings, summary)
            recipient = session.execute(
                select(Recipient).where(col(Recipient.subject_code) == DEMO_SUBJECT)).scalar_one()
        else:
            actors = _ensure_users(session, summary)
            granted = demo_training.qualify(session=session, actors=actors, lead="qalead", deputy="qa",
                                            password_of=demo_password)
            if granted:
                summary.steps.append(_("{count} qualifications granted by the training lead, each signed",
                                       count=len(granted)))
            summary.steps.append(_("demo data already present; nothing new was created"))
        therapy = enrolment_service.therapy_of(session=session, recipient=recipient)
        assert therapy is not None
        summary.coi = therapy.coi
        lot = session.execute(select(Lot).where(col(Lot.therapy_id) == therapy.id)).scalars().first()
        summary.lot_din = lot.din if lot else ""
    return summary
