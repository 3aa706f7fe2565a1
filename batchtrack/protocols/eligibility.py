"""Pure evaluation of a subject's eligibility against a protocol: every unmet condition at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.protocols.definition import Criterion, Protocol


@dataclass(frozen=True, slots=True)
class Subject:
    """What eligibility depends on besides the investigator's answers."""

    indication: str
    donor_kind: str  # autologous | directed
    allergies: tuple[str, ...] = ()
    donor_date_of_birth: date | None = None
    assessed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Eligible, or every reason not."""

    eligible: bool
    reasons: tuple[Reason, ...]


def applicable(protocol: Protocol, subject: Subject) -> list[Criterion]:
    """The criteria that apply to this subject (all, their indication, and donor ones for directed use)."""
    groups = {"all", subject.indication} | ({"directed"} if subject.donor_kind == "directed" else set())
    return [c for c in protocol.criteria if c.applies_to in groups]


def unknown_indication(protocol: Protocol, indication: str) -> Text | None:
    """Why `indication` cannot be enrolled under `protocol` (None when the protocol covers it)."""
    if indication in protocol.indications:
        return None
    return _("indication {indication} is not one of {known}", indication=repr(indication),
             known=", ".join(protocol.indications))


def listed(protocol: Protocol, *, indication: str | None, donor_kind: str | None) -> list[Criterion]:
    """The criteria an integration is shown: with an indication, those an enrolment with it (and `donor_kind`,
    autologous unless said) must answer; without one, every criterion, less the donor's for an autologous donor.
    The indication must be one the protocol covers (`unknown_indication`)."""
    if indication is not None:
        return applicable(protocol, Subject(indication=indication, donor_kind=donor_kind or "autologous"))
    if donor_kind == "autologous":
        return [c for c in protocol.criteria if c.applies_to != "directed"]
    return list(protocol.criteria)


def pen_strep_allergies(protocol: Protocol, allergies: tuple[str, ...]) -> list[str]:
    """The recorded allergies that are a penicillin or streptomycin hypersensitivity."""
    words = tuple(s.lower() for s in protocol.pen_strep_substances)
    return [a for a in allergies if any(word in a.lower() for word in words)]


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def evaluate(protocol: Protocol, subject: Subject, answers: dict[str, bool]) -> Outcome:
    """Judge eligibility: every applicable criterion answered and met, whatever the answers, no pen/strep allergy."""
    reasons: list[Reason] = []
    if (not_covered := unknown_indication(protocol, subject.indication)) is not None:
        reasons.append(Reason("eligibility.indication", not_covered))
    criteria = applicable(protocol, subject)
    known = {c.id for c in protocol.criteria}
    for unknown in sorted(set(answers) - known):
        reasons.append(Reason("eligibility.unknown_criterion", _("{criterion} is not a criterion of {protocol}",
                                                                 criterion=unknown[:40], protocol=protocol.id)))
    for criterion in criteria:
        answer = answers.get(criterion.id)
        if answer is None:
            reasons.append(Reason("eligibility.unanswered", _("{criterion} is not answered: {text}",
                                                              criterion=criterion.id, text=criterion.text)))
        elif criterion.kind == "inclusion" and not answer:
            reasons.append(Reason("eligibility.inclusion_not_met", _("{criterion} not met: {text}",
                                                                     criterion=criterion.id, text=criterion.text)))
        elif criterion.kind == "exclusion" and answer:
            reasons.append(Reason("eligibility.exclusion_present", _("{criterion} applies: {text}",
                                                                     criterion=criterion.id, text=criterion.text)))
    hypersensitive = pen_strep_allergies(protocol, subject.allergies)
    if hypersensitive:
        reasons.append(Reason("eligibility.pen_strep_hypersensitivity", _(
            "recorded hypersensitivity to {allergies}: penicillin and streptomycin are used in manufacture, so this "
            "recipient is refused whatever the answers say", allergies=", ".join(hypersensitive))))
    if subject.donor_kind == "directed":
        limits = protocol.limits
        if subject.donor_date_of_birth is None or subject.assessed_on is None:
            reasons.append(Reason("eligibility.donor_age", _("the directed donor's date of birth is not recorded")))
        else:
            age = _age(subject.donor_date_of_birth, subject.assessed_on)
            if not limits.donor_age_min_years <= age <= limits.donor_age_max_years:
                reasons.append(Reason("eligibility.donor_age", _(
                    "the donor is {age}; the protocol accepts {youngest}-{oldest}", age=age,
                    youngest=limits.donor_age_min_years, oldest=limits.donor_age_max_years)))
    return Outcome(eligible=not reasons, reasons=tuple(reasons))
