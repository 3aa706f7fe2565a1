"""The bedside gate (DESIGN.md section 4, "Bedside"): every unmet condition before an infusion (pure).

Any reason stops the infusion: the service records the check with its reasons and opens a deviation. A reason names
a time in the site's zone, with the zone ("2026-12-08 12:02 KST"), and a number as people read it
(6.2 \u00d7 10\u2077).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from batchtrack.bedside import vocabulary
from batchtrack.errors import Reason
from batchtrack.i18n import moments
from batchtrack.i18n.numbers import Quantity, shown
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names

# Spelled as in the models' enumerations (the tests check), so that the gate imports no table.
CLINICAL_ROLES = frozenset({"investigator", "nurse"})
FINAL_PRODUCT = "final_product"
USABLE = "in_use"
INFUSIBLE_LOT_STATES = frozenset({"released", "released_pending_sterility", "shipped", "at_clinic"})


@dataclass(frozen=True, slots=True)
class Clinician:
    """An authenticated clinician taking part in the check."""

    user_id: int
    roles: frozenset[str]
    name: str


@dataclass(frozen=True, slots=True)
class Bag:
    """The scanned product bag as recorded."""

    container_id: int
    kind: str
    status: str
    therapy_coi: str | None
    lot_din: str | None
    lot_state: str | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Dose:
    """The bag's viable cells against the prescription per kg and the weight from a recent visit."""

    viable_cells: float | None
    prescribed_cells_per_kg: float | None
    weight_kg: float | None
    tolerance_percent: float

    @property
    def target(self) -> float | None:
        """The prescribed number of cells, when the prescription and a recent weight are recorded."""
        if self.prescribed_cells_per_kg is None or self.weight_kg is None:
            return None
        return self.prescribed_cells_per_kg * self.weight_kg


@dataclass(frozen=True, slots=True)
class BedsideFacts:
    """What the gate judges, gathered by the service."""

    now: datetime
    first: Clinician
    second: Clinician | None  # None: no second clinician, or one who did not authenticate (see second_problems)
    wristband_coi: str | None  # None: the wristband scan named no therapy
    wristband_problems: tuple[Reason, ...] = ()
    bag: Bag | None = None  # None: the bag scan named no container
    bag_problems: tuple[Reason, ...] = ()
    released: bool = False  # a QA release decision (full or pending sterility) stands for the lot
    pending_sterility: bool = False  # released before the final sterility result, which is not in yet
    pending_acknowledged: bool = False  # both clinicians acknowledged the release pending sterility
    open_alerts: int = 0  # e.g. a positive sterility result after release
    dose: Dose | None = None
    extra: tuple[Reason, ...] = field(default_factory=tuple)
    second_problems: tuple[Reason, ...] = ()  # why the named second clinician could not be authenticated
    zone: tzinfo = UTC  # the site's time zone, in which the reasons name times



def _lot_state(state: str | None) -> Text:
    return state_names.lot_state(state) if state else _("unknown")


def _clinicians(facts: BedsideFacts) -> list[Reason]:
    reasons: list[Reason] = []
    if not facts.first.roles & CLINICAL_ROLES:
        reasons.append(Reason("bedside.not_clinician",
                              _("{name} is not an investigator or a nurse", name=facts.first.name)))
    if facts.second is None:
        reasons += list(facts.second_problems) or [
            Reason("bedside.second_clinician_missing", _("a second clinician must confirm the identity"))]
    elif facts.second.user_id == facts.first.user_id:
        reasons.append(Reason("bedside.same_clinician", _("the two checks were made by one person; two distinct "
                                                          "clinicians must confirm")))
    elif not facts.second.roles & CLINICAL_ROLES:
        reasons.append(Reason("bedside.not_clinician",
                              _("{name} is not an investigator or a nurse", name=facts.second.name)))
    return reasons


def _bag(facts: BedsideFacts, bag: Bag) -> list[Reason]:
    reasons: list[Reason] = []
    if bag.kind != FINAL_PRODUCT:
        reasons.append(Reason("bedside.not_a_product_bag", _("the scan names a {kind}, not a final product bag",
                                                             kind=vocabulary.container_kind(bag.kind))))
    if facts.wristband_coi is not None and bag.therapy_coi != facts.wristband_coi:
        reasons.append(Reason("bedside.wrong_recipient",
                              _("the bag belongs to therapy {bag_coi} but the wristband is therapy {wristband_coi}: "
                                "this product is not for this patient", bag_coi=bag.therapy_coi,
                                wristband_coi=facts.wristband_coi)))
    if bag.status != USABLE:
        reasons.append(Reason("bedside.bag_" + bag.status,
                              _("the bag is already {status}", status=vocabulary.container_status(bag.status))))
    if bag.lot_state not in INFUSIBLE_LOT_STATES or not facts.released:
        reasons.append(Reason("bedside.not_released", _("lot {din} is {state}: not released by QA", din=bag.lot_din,
                                                        state=_lot_state(bag.lot_state))))
    elif facts.pending_sterility and not facts.pending_acknowledged:
        reasons.append(Reason("bedside.pending_sterility_unacknowledged",
                              _("the lot was released before its final sterility result: both clinicians must "
                                "acknowledge this before the infusion")))
    if facts.open_alerts:
        reasons.append(Reason("bedside.lot_alert", _("{count} open alert(s) on lot {din} (e.g. a positive sterility "
                                                     "result): do not infuse", count=facts.open_alerts,
                                                     din=bag.lot_din)))
    if bag.expires_at is None:
        reasons.append(Reason("bedside.no_expiry", _("the product has no recorded expiry")))
    elif facts.now >= bag.expires_at:
        late = int((facts.now - bag.expires_at).total_seconds() // 60)
        reasons.append(Reason("bedside.expired", _("the product expired at {moment} ({minutes} min ago)",
                                                   moment=moments.minute(bag.expires_at, facts.zone), minutes=late)))
    return reasons


def _dose(dose: Dose | None) -> list[Reason]:
    if dose is None or dose.viable_cells is None:
        return [Reason("bedside.dose_unknown", _("the bag's viable cell count is not recorded"))]
    target = dose.target
    if target is None:
        return [Reason("bedside.weight_missing", _("no prescription, or no weight from a visit within the "
                                                   "protocol's window: the dose cannot be checked"))]
    deviation = abs(dose.viable_cells - target) / target * 100
    if deviation > dose.tolerance_percent:
        return [Reason("bedside.dose_out_of_tolerance",
                       _("the bag holds {cells} viable cells; the prescription is {target} ({per_kg}/kg \u00d7 "
                         "{weight} kg), off by {off}% (tolerance {tolerance}%)",
                         cells=shown(dose.viable_cells, Quantity.CELL_COUNT), target=shown(target, Quantity.CELL_COUNT),
                         per_kg=shown(dose.prescribed_cells_per_kg, Quantity.CELL_COUNT),
                         weight=shown(dose.weight_kg, Quantity.MASS), off=shown(deviation, Quantity.PERCENT),
                         tolerance=shown(dose.tolerance_percent)))]
    return []


def refusals(facts: BedsideFacts) -> list[Reason]:
    """Every reason the infusion must not start (empty: both clinicians may proceed)."""
    reasons = _clinicians(facts)
    reasons += list(facts.wristband_problems)
    if facts.wristband_coi is None and not facts.wristband_problems:
        reasons.append(Reason("bedside.wristband_unknown", _("the wristband scan names no recorded therapy")))
    reasons += list(facts.bag_problems)
    if facts.bag is None:
        if not facts.bag_problems:
            reasons.append(Reason("bedside.bag_unknown", _("the bag scan names no recorded container")))
    else:
        reasons += _bag(facts, facts.bag)
        reasons += _dose(facts.dose)
    return reasons + list(facts.extra)


# The match screen: the fields the wristband and the bag are compared on, and which refusals cross each out. A
# refusal named for no field (the clinicians, for one) crosses none out and stands in the verdict alone.
MATCH_FIELDS = ("recipient", "coi", "din", "product", "expiry", "dose", "release")
_FIELDS_OF_CODE: dict[str, tuple[str, ...]] = {
    "bedside.wrong_recipient": ("recipient", "coi"),
    "bedside.wristband_unknown": ("recipient", "coi"),
    "bedside.wristband_not_coi": ("recipient", "coi"),
    "scan.label_coi_mismatch": ("coi",),
    "bedside.bag_unknown": ("din",),
    "bedside.bag_not_a_container": ("din",),
    "bedside.bag_scan_incomplete": ("din",),
    "bedside.not_a_product_bag": ("product",),
    "bedside.expired": ("expiry",),
    "bedside.no_expiry": ("expiry",),
    "scan.label_expiry_mismatch": ("expiry",),
    "bedside.dose_unknown": ("dose",),
    "bedside.weight_missing": ("dose",),
    "bedside.dose_out_of_tolerance": ("dose",),
    "bedside.no_protocol": ("dose",),
    "bedside.not_released": ("release",),
    "bedside.pending_sterility_unacknowledged": ("release",),
    "bedside.lot_alert": ("release",),
    "bedside.sterility_failed": ("release",),
    "bedside.not_received": ("release",),
}


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One field of the match screen: whether the wristband and the bag agree on it, and the refusals if not."""

    key: str
    reasons: tuple[Reason, ...]

    @property
    def ok(self) -> bool:
        """A tick: no refusal concerns this field."""
        return not self.reasons


def _fields_of(code: str) -> tuple[str, ...]:
    if code in _FIELDS_OF_CODE:
        return _FIELDS_OF_CODE[code]
    if code.startswith("bedside.bag_"):  # the bag is already infused, destroyed, quarantined...
        return ("din", "product")
    return ()


def field_matches(reasons: list[Reason]) -> list[FieldMatch]:
    """Each field of the match screen, ticked unless one of the gate's refusals concerns it (pure)."""
    return [FieldMatch(key, tuple(r for r in reasons if key in _fields_of(r.code))) for key in MATCH_FIELDS]


RECEIVED_AT_CLINIC = "at_clinic"
_ON_THE_WAY = frozenset({"released", "released_pending_sterility", "shipped"})


def receipt_refusals(bag: Bag | None) -> list[Reason]:
    """A released bag must have been received at the clinic (custody recorded) before the bedside check."""
    if bag is None or bag.lot_state not in _ON_THE_WAY:
        return []
    return [Reason("bedside.not_received", _("lot {din} is {state}: record its receipt at the clinic (scan each bag "
                                             "from the courier) before the bedside check", din=bag.lot_din,
                                             state=_lot_state(bag.lot_state)))]


def sterility_refusals(*, final_sterility_conforms: bool | None) -> list[Reason]:
    """A final sterility result that does not conform stops the infusion (None: no final result yet)."""
    if final_sterility_conforms is False:
        return [Reason("bedside.sterility_failed",
                       _("the lot's final sterility result does not conform: do not infuse"))]
    return []


# The infusion (after a passed check): a check stays valid for the start of an infusion this long.
CHECK_VALID_FOR = timedelta(minutes=60)
VOLUME_TOLERANCE_PERCENT = 5.0  # over the bag's recorded volume (line priming, measurement)
CLOCK_SKEW = timedelta(minutes=2)  # between the bedside clock the times are read from and the server's


@dataclass(frozen=True, slots=True)
class InfusionFacts:
    """What the infusion record is judged on, gathered by the service (times in UTC)."""

    now: datetime
    check_ok: bool
    check_used: bool
    checked_at: datetime
    bag_status: str
    expires_at: datetime | None
    started_at: datetime
    ended_at: datetime
    volume_ml: float
    bag_volume_ml: float | None
    first: Clinician  # signs "performed"
    second: Clinician | None  # signs "reviewed"; None: not a known active user
    check_clinicians: tuple[int, int | None]
    zone: tzinfo = UTC  # the site's time zone, in which the reasons name times


def _infusion_times(facts: InfusionFacts) -> list[Reason]:
    reasons: list[Reason] = []
    # Times are entered to the minute: a start in the minute of the check is after it.
    if facts.started_at < facts.checked_at.replace(second=0, microsecond=0):
        reasons.append(Reason("infusion.before_check", _("the infusion cannot start ({start}) before its bedside check "
                                                         "({checked})",
                                                         start=moments.minute(facts.started_at, facts.zone),
                                                         checked=moments.minute(facts.checked_at, facts.zone))))
    elif facts.started_at - facts.checked_at > CHECK_VALID_FOR:
        late = int((facts.started_at - facts.checked_at).total_seconds() // 60)
        reasons.append(Reason("infusion.check_stale",
                              _("the infusion started {minutes} min after the bedside check; a check is valid for "
                                "{valid} min: check the identity again", minutes=late,
                                valid=int(CHECK_VALID_FOR.total_seconds() // 60))))
    if facts.ended_at <= facts.started_at:
        reasons.append(Reason("infusion.end_before_start", _("the infusion must end after it started")))
    if facts.ended_at > facts.now + CLOCK_SKEW:
        reasons.append(Reason("infusion.in_future", _("the infusion cannot end in the future")))
    if facts.expires_at is not None and facts.started_at >= facts.expires_at:
        reasons.append(Reason("infusion.after_expiry", _("the infusion started after the product expired ({moment})",
                                                         moment=moments.minute(facts.expires_at, facts.zone))))
    return reasons


def _infusion_signers(facts: InfusionFacts) -> list[Reason]:
    second = facts.second
    if second is None:
        return []
    reasons: list[Reason] = []
    if second.user_id == facts.first.user_id:
        reasons.append(Reason("infusion.same_clinician", _("the infusion is signed by two distinct clinicians")))
    elif {facts.first.user_id, second.user_id} != set(facts.check_clinicians):
        reasons.append(Reason("infusion.not_the_checking_clinicians",
                              _("the infusion is signed by the two clinicians who made its bedside check")))
    for person in (facts.first, second):
        if not person.roles & CLINICAL_ROLES:
            reasons.append(Reason("infusion.not_clinician",
                                  _("{name} is not an investigator or a nurse", name=person.name)))
    return reasons


def infusion_refusals(facts: InfusionFacts) -> list[Reason]:
    """Every reason an infusion cannot be recorded on its check (empty: both clinicians may sign)."""
    reasons: list[Reason] = []
    if not facts.check_ok:
        reasons.append(Reason("infusion.check_not_passed", _("the bedside check refused this infusion: a new check "
                                                             "must pass first")))
    if facts.check_used:
        reasons.append(Reason("infusion.check_used", _("an infusion is already recorded on this bedside check")))
    elif facts.bag_status != USABLE:
        reasons.append(Reason("infusion.bag_" + facts.bag_status,
                              _("the bag is {status}: it cannot be infused",
                                status=vocabulary.container_status(facts.bag_status))))
    reasons += _infusion_times(facts)
    if facts.bag_volume_ml is not None and facts.volume_ml > facts.bag_volume_ml * (1 + VOLUME_TOLERANCE_PERCENT / 100):
        reasons.append(Reason("infusion.volume_exceeds_bag",
                              _("{volume} mL is more than the bag holds ({bag_volume} mL, tolerance {tolerance}%)",
                                volume=shown(facts.volume_ml, Quantity.VOLUME),
                                bag_volume=shown(facts.bag_volume_ml, Quantity.VOLUME),
                                tolerance=shown(VOLUME_TOLERANCE_PERCENT))))
    return reasons + _infusion_signers(facts)
