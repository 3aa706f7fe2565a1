"""The demonstration's therapies: each subject's course from enrolment to the stage it has reached today.

A course names the moment of each milestone it has passed; its story does each milestone's work at that moment,
through the services the pages and the API use, and stops at the first milestone not reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.demo import bedside as demo_bedside
from batchtrack.demo import expansion as demo_expansion
from batchtrack.demo import quality as demo_quality
from batchtrack.demo.timeline import Story, Timeline
from batchtrack.deviations import service as deviation_service
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.i18n import moments
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.protocols import definition, eligibility

PROTOCOL = "KCT0004337"
PRESCRIBED_CELLS_PER_KG = 1e6
TYPICAL_GROWTH = demo_expansion.Growth(3.2e6, (9.5, 7.2, 6.4))


@dataclass(frozen=True)
class Subject:
    """A demonstration subject: her or his name as written in Hangul and as the passport romanises it."""

    code: str
    name: tuple[str, str]
    latin: tuple[str, str]
    born: date
    sex: str
    indication: str
    mrn: str
    weight_kg: float

    @property
    def dose(self) -> float:
        """Viable cells formulated for one dose: the prescription for the recorded weight, a little over."""
        return round(self.weight_kg * PRESCRIBED_CELLS_PER_KG * 1.03, -5)


@dataclass(frozen=True)
class Course:
    """When a subject passed each milestone (None: not yet); the story stops at the first one not passed."""

    subject: Subject
    enrolled: datetime
    collection_planned: datetime | None = None
    collected: datetime | None = None
    received: datetime | None = None
    isolated: datetime | None = None
    passaged: tuple[datetime, ...] = ()
    harvested: datetime | None = None
    formulated: datetime | None = None
    rapid_results: datetime | None = None
    all_results: datetime | None = None
    co_signed: datetime | None = None
    released: datetime | None = None
    shipped: datetime | None = None
    at_clinic: datetime | None = None
    checked: datetime | None = None
    infused: datetime | None = None
    growth: demo_expansion.Growth = TYPICAL_GROWTH
    # A deviation the lab opened on the lot and QA has yet to close (None: none).
    deviation_opened: datetime | None = None


@dataclass
class Facility:
    """The session, the people and what the facility holds, shared by every story."""

    session: Session
    settings: Settings
    actors: dict[str, Principal]
    password_of: Callable[[str], str]
    timeline: Timeline
    codes: dict[str, str] = field(default_factory=dict)

    @property
    def crew(self) -> demo_expansion.Crew:
        """The processing suite's people."""
        return demo_expansion.Crew(
            operator=self.actors["operator"], operator_password=self.password_of("operator"),
            verifier=self.actors["operator2"], verifier_password=self.password_of("operator2"),
            qa=self.actors["qa"], qa_password=self.password_of("qa"), admin=self.actors["admin"])

    @property
    def signers(self) -> demo_quality.Signers:
        """The people who test, co-sign and release."""
        return demo_quality.Signers(
            operator=self.actors["operator"], analyst=self.actors["analyst"], director=self.actors["director"],
            director_password=self.password_of("director"), investigator=self.actors["investigator"],
            investigator_password=self.password_of("investigator"), qa=self.actors["qa"],
            qa_password=self.password_of("qa"))

    @property
    def clinic(self) -> demo_bedside.Clinic:
        """The people at the clinic's end of the chain."""
        return demo_bedside.Clinic(
            operator=self.actors["operator"], courier_username="courier", nurse=self.actors["nurse"],
            nurse_password=self.password_of("nurse"), investigator_username="investigator",
            investigator_password=self.password_of("investigator"))


@dataclass
class Progress:
    """What a story has made so far: the therapy's COI identifier, the collection's (and lot's) DIN."""

    coi: str = ""
    din: str = ""
    samples: list[str] = field(default_factory=list)
    check_id: int = 0

    @property
    def bag_scan(self) -> str:
        """What a scanner reads from the aspirate bag's DIN barcode."""
        return isbt.din_structure(din_id.parse(self.din))


SUBJECTS = (
    Subject("KCT0004337-S01", ("김", "수아"), ("Kim", "Sua"), date(1991, 4, 17), "female", "nephritis",
            "MRN-0042-7781", 58.4),
    Subject("KCT0004337-S02", ("이", "서윤"), ("Lee", "Seoyun"), date(1988, 9, 3), "female", "cytopenia",
            "MRN-0042-8120", 52.1),
    Subject("KCT0004337-S03", ("박", "지호"), ("Park", "Jiho"), date(1979, 1, 22), "male", "nephritis",
            "MRN-0043-0457", 71.6),
    Subject("KCT0004337-S04", ("최", "하은"), ("Choi", "Haeun"), date(1996, 6, 30), "female", "nephritis",
            "MRN-0043-1193", 49.8),
    Subject("KCT0004337-S05", ("정", "민서"), ("Jung", "Minseo"), date(1984, 12, 8), "female", "cytopenia",
            "MRN-0043-2268", 61.3),
    Subject("KCT0004337-S06", ("강", "도윤"), ("Kang", "Doyun"), date(1993, 3, 14), "male", "nephritis",
            "MRN-0043-3012", 66.0),
    Subject("KCT0004337-S07", ("윤", "지아"), ("Yoon", "Jia"), date(1986, 11, 25), "female", "nephritis",
            "MRN-0043-3550", 55.7),
)


def courses(t: Timeline) -> list[Course]:
    """The subjects' courses, the first one (infused) walked through the whole chain; the moments are today's."""
    s01, s02, s03, s04, s05, s06, s07 = SUBJECTS
    return [
        # Infused six days ago: the 14-day sterility of its lot is still running, and the deviation the lab opened on
        # reading the shipper's logger the day after is still open for QA.
        Course(s01, enrolled=t.day(34, 10), collection_planned=t.day(30, 8, 30), collected=t.day(30, 9),
               received=t.day(30, 11, 40), isolated=t.day(30, 13),
               passaged=(t.day(19, 10), t.day(13, 10)), harvested=t.day(7, 9), formulated=t.day(7, 11),
               rapid_results=t.day(7, 14), all_results=t.day(7, 15), co_signed=t.day(7, 15, 30),
               released=t.day(7, 16), shipped=t.day(7, 16, 30), at_clinic=t.day(7, 17, 30),
               checked=t.day(6, 9), infused=t.day(6, 9, 45), deviation_opened=t.day(5, 11)),
        # Eligible; the marrow aspiration is booked for tomorrow morning.
        Course(s02, enrolled=t.day(3, 10), collection_planned=t.ahead(days=1, hour=9)),
        # Collected at the last session of the aspiration suite (1 to 20 hours ago), with the courier: the lab's
        # receipt window is running.
        Course(s03, enrolled=t.day(8, 14), collection_planned=t.last_working(hours_ago=1),
               collected=t.last_working(hours_ago=1)),
        # In expansion: isolated 19 days ago, passaged twice, the harvest due in a few days.
        Course(s04, enrolled=t.day(23, 11), collection_planned=t.day(19, 8, 30), collected=t.day(19, 9),
               received=t.day(19, 11, 30), isolated=t.day(19, 13), passaged=(t.day(8, 10), t.day(2, 10)),
               growth=demo_expansion.Growth(2.9e6, (10.1, 7.6, 6.0))),
        # Formulated 7 hours ago, in QC: the rapid results entered, the rest (the 14-day sterility too) pending.
        Course(s05, enrolled=t.day(30, 15), collection_planned=t.day(26, 8, 30), collected=t.day(26, 9),
               received=t.day(26, 11, 30), isolated=t.day(26, 14), passaged=(t.day(13, 11), t.day(7, 11)),
               harvested=t.ago(hours=8), formulated=t.ago(hours=7), rapid_results=t.ago(hours=3),
               growth=demo_expansion.Growth(3.5e6, (8.8, 6.9, 6.2))),
        # Tested and co-signed: QA's review and release are what is left, before the bag's shelf life runs out.
        Course(s06, enrolled=t.day(31, 10), collection_planned=t.day(27, 8, 30), collected=t.day(27, 9),
               received=t.day(27, 11, 30), isolated=t.day(27, 13), passaged=(t.day(16, 10), t.day(10, 10)),
               harvested=t.ago(hours=10), formulated=t.ago(hours=9), rapid_results=t.ago(hours=6),
               all_results=t.ago(hours=5), co_signed=t.ago(hours=4),
               growth=demo_expansion.Growth(3.0e6, (9.9, 7.4, 6.6))),
        # Released pending sterility and handed to the courier: the ward receives and infuses it today.
        Course(s07, enrolled=t.day(32, 10), collection_planned=t.day(28, 8, 30), collected=t.day(28, 9),
               received=t.day(28, 11, 30), isolated=t.day(28, 13), passaged=(t.day(17, 10), t.day(11, 10)),
               harvested=t.ago(hours=13), formulated=t.ago(hours=12), rapid_results=t.ago(hours=10),
               all_results=t.ago(hours=9.5), co_signed=t.ago(hours=9), released=t.ago(hours=8.5),
               shipped=t.ago(hours=1.5), growth=demo_expansion.Growth(3.3e6, (9.2, 7.0, 6.5))),
    ]


def _enrol(f: Facility, subject: Subject, done: Progress) -> None:
    investigator = f.actors["investigator"]
    today = moments.day(utcnow(), f.settings.zone)
    enrolment_service.enrol(session=f.session, actor=investigator, data=enrolment_schemas.EnrolmentCreate(
        subject_code=subject.code, family_name=subject.name[0], given_name=subject.name[1],
        family_name_latin=subject.latin[0], given_name_latin=subject.latin[1], date_of_birth=subject.born,
        mrn=subject.mrn, sex=subject.sex, indication=subject.indication,
        consent_date=today - timedelta(days=7),
        allergies=[enrolment_schemas.AllergyCreate(substance="iodinated contrast", reaction="urticaria")],
        weight=enrolment_schemas.WeightCreate(visit_date=today - timedelta(days=1), weight_kg=subject.weight_kg),
    ), zone=f.settings.zone)
    protocol = definition.load(PROTOCOL)
    answers = {c.id: c.kind == "inclusion"
               for c in eligibility.applicable(protocol, eligibility.Subject(subject.indication, "autologous"))}
    assessment = enrolment_service.assess(
        session=f.session, settings=f.settings, actor=investigator, subject_code=subject.code,
        data=enrolment_schemas.EligibilityAnswers(answers=answers, prescribed_cells_per_kg=PRESCRIBED_CELLS_PER_KG,
                                                  username=investigator.username,
                                                  password=f.password_of("investigator")))
    assert assessment.therapy is not None
    done.coi = assessment.therapy.coi


def _schedule(f: Facility, planned: datetime | None, done: Progress) -> None:
    collection = collection_service.schedule(
        session=f.session, settings=f.settings, actor=f.actors["collector"],
        data=collection_schemas.CollectionCreate(therapy_coi=done.coi, scheduled_for=planned))
    done.din = collection.din


def _collect(f: Facility, done: Progress) -> None:
    collector = f.actors["collector"]
    collection_service.transition(session=f.session, actor=collector, din=done.din, name="collect",
                                  data=collection_schemas.CollectionTransition(
                                      started_at=utcnow() - timedelta(minutes=30), occurred_at=utcnow(),
                                      volume_ml=60.0, anticoagulant="heparin", site="posterior iliac crest"))
    printed = label_service.print_labels(session=f.session, settings=f.settings, actor=collector, din=done.din,
                                         data=label_schemas.PrintRequest(kind="aspirate_bag", format="png"))
    for label in printed.labels:
        assert label.id is not None
        label_service.apply_label(session=f.session, actor=collector, label_id=label.id, scan=done.bag_scan)
    collection_service.transition(session=f.session, actor=collector, din=done.din, name="dispatch",
                                  data=collection_schemas.CollectionTransition())


def _hand_over(f: Facility, done: Progress, giver: str, receiver: str, place: str) -> None:
    custody_service.record(session=f.session, actor=f.actors[giver], data=custody_schemas.CustodyEventCreate(
        scan=done.bag_scan, handed_over_by=giver, received_by=receiver, location=place, temperature_c=21.5))


def _receive(f: Facility, done: Progress) -> None:
    _hand_over(f, done, "courier", "operator", "GMP facility receiving")
    collection_service.receive(session=f.session, actor=f.actors["operator"], data=collection_schemas.ReceiptCreate(
        scan=done.bag_scan, expected_din=done.din, temperature_c=21.5,
        inspection=collection_schemas.Inspection(bag_intact=True, seal_intact=True, label_legible=True,
                                                 no_clots=True),
        decision="accept", reason="within 24 h and 2-25 °C; inspection passed"))


def _weigh(f: Facility, subject: Subject) -> None:
    recipient = enrolment_service.get_recipient(session=f.session, subject_code=subject.code)
    today = moments.day(utcnow(), f.settings.zone)
    enrolment_service.record_weight(session=f.session, actor=f.actors["investigator"], recipient=recipient,
                                    data=enrolment_schemas.WeightCreate(visit_date=today, weight_kg=subject.weight_kg),
                                    zone=f.settings.zone)


def _to_qc(f: Facility, done: Progress) -> None:
    operator = f.actors["operator"]
    lot_service.add_containers(session=f.session, actor=operator, din=done.din,
                               data=lot_schemas.ContainerCreate(kind="qc_sample", count=2))
    lot_service.transition(session=f.session, actor=operator, din=done.din, name="submit_to_qc", reason="")
    done.samples = demo_quality.label_samples(session=f.session, settings=f.settings, operator=operator,
                                              din=done.din)


# What the lab found on reading the shipper's data logger after the infusion.
DEVIATION = ("Shipper data logger: 8.6 °C for 7 minutes during transport to the ward (limit 2-8 °C); the bag was "
             "within limits on receipt at the clinic.")
DEVIATION_IMPACT = "Product infused; assess the excursion's effect on viability against the stability data."


def _open_deviation(f: Facility, done: Progress) -> None:
    lot = lot_service.get_by_din(session=f.session, din=done.din)
    deviation_service.open_deviation(session=f.session, actor=f.actors["operator"], lot=lot,
                                     description=DEVIATION, impact=DEVIATION_IMPACT)


def _milestones(f: Facility, c: Course, done: Progress) -> list[tuple[datetime | None, Callable[[], None]]]:
    """Each milestone's moment and its work, in order (a moment of None: not reached)."""
    s, settings, crew, codes, dose = f.session, f.settings, f.crew, f.codes, c.subject.dose

    def after(moment: datetime | None, delay: timedelta) -> datetime | None:
        return None if moment is None else moment + delay

    def isolate() -> None:
        demo_expansion.isolate(session=s, settings=settings, crew=crew, codes=codes, din=done.din,
                               bag_scan=done.bag_scan)

    def passage(number: int) -> Callable[[], None]:
        return lambda: demo_expansion.passage(session=s, settings=settings, crew=crew, codes=codes, din=done.din,
                                              bag_scan=done.bag_scan, number=number, growth=c.growth)

    def harvest() -> None:
        demo_expansion.harvest(session=s, settings=settings, crew=crew, codes=codes, din=done.din,
                               bag_scan=done.bag_scan, growth=c.growth)

    def formulate() -> None:
        demo_expansion.formulate(session=s, settings=settings, crew=crew, codes=codes, din=done.din,
                                 bag_scan=done.bag_scan, viable_cells=dose)

    def results(first: int, last: int) -> Callable[[], None]:
        return lambda: demo_quality.enter_results(session=s, analyst=f.signers.analyst, din=done.din,
                                                  sample_scan=done.samples[0], viable_cells=dose, first=first,
                                                  last=last)

    def check() -> None:
        done.check_id = demo_bedside.check(session=s, settings=settings, clinic=f.clinic, din=done.din,
                                           coi=done.coi)

    def infuse() -> None:
        assert c.checked is not None
        started = c.checked + timedelta(minutes=5)
        demo_bedside.infuse(session=s, settings=settings, clinic=f.clinic, check_id=done.check_id,
                            started=started, ended=started + timedelta(minutes=30))

    steps: list[tuple[datetime | None, Callable[[], None]]] = [
        (c.enrolled, lambda: _enrol(f, c.subject, done)),
        (c.enrolled + timedelta(hours=1), lambda: _schedule(f, c.collection_planned, done)),
        (c.collected, lambda: _collect(f, done)),
        (after(c.collected, timedelta(minutes=20)),
         lambda: _hand_over(f, done, "collector", "courier", "Bone-marrow aspiration suite")),
        (c.received, lambda: _receive(f, done)),
        (c.isolated, isolate),
        *[(moment, passage(number)) for number, moment in enumerate(c.passaged, start=1)],
    ]
    if len(c.passaged) < len(c.growth.folds) - 1:
        return steps  # still in expansion
    return [*steps,
            (after(c.formulated, -timedelta(days=2)), lambda: _weigh(f, c.subject)),
            (c.harvested, harvest),
            (c.formulated, formulate),
            (after(c.formulated, timedelta(minutes=30)), lambda: _to_qc(f, done)),
            (c.rapid_results, results(0, demo_quality.RAPID)),
            (c.all_results, results(demo_quality.RAPID, len(demo_quality.RESULTS))),
            (c.co_signed, lambda: demo_quality.co_sign(session=s, signers=f.signers, din=done.din)),
            (c.released, lambda: demo_quality.review_and_release(session=s, signers=f.signers, din=done.din)),
            (c.shipped, lambda: demo_bedside.ship(session=s, clinic=f.clinic, din=done.din)),
            (c.at_clinic, lambda: demo_bedside.receive_at_clinic(session=s, clinic=f.clinic, din=done.din)),
            (c.checked, check),
            (c.infused, infuse),
            (c.deviation_opened, lambda: _open_deviation(f, done))]


def story(f: Facility, c: Course, done: Progress) -> Story:
    """The course told milestone by milestone, each at its moment; `done` holds what it made."""
    for moment, work in _milestones(f, c, done):
        if moment is None:
            return
        yield moment
        work()


def stage_of(c: Course, done: Progress) -> Text:
    """Where a course short of the infusion stands today, in words."""
    subject, din = c.subject.code, done.din
    if c.shipped:
        return _("{subject}: lot {din} released pending sterility and shipped: the ward receives and infuses it "
                 "today", subject=subject, din=din)
    if c.co_signed:
        return _("{subject}: lot {din} tested and co-signed; QA's review and release are due before its expiry",
                 subject=subject, din=din)
    if c.rapid_results:
        return _("{subject}: lot {din} in QC: the rapid results entered, the others (14-day sterility included) "
                 "pending", subject=subject, din=din)
    if c.passaged:
        return _("{subject}: lot {din} in expansion: isolated {days} days ago, passaged {count} times; harvest due",
                 subject=subject, din=din, count=len(c.passaged), days=(utcnow() - (c.isolated or utcnow())).days)
    if c.collected:
        return _("{subject}: aspirate {din} collected and with the courier; the lab's receipt window is running",
                 subject=subject, din=din)
    return _("{subject}: eligible; marrow collection {din} scheduled", subject=subject, din=din)
