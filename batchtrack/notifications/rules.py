"""The rules of notifications, as pure functions: who may receive what, what a recipient may read, when to retry,
when a receipt window is announced."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from batchtrack.auth.principal import PATIENT_IDENTITY_ROLES
from batchtrack.errors import Reason
from batchtrack.i18n.text import _
from batchtrack.models.notification import NotificationKind
from batchtrack.models.user import Role
from batchtrack.people import names

Kind = NotificationKind

# The roles that may receive each kind; a user is offered (and by default chosen) the kinds their roles receive.
RECEIVERS: dict[NotificationKind, frozenset[Role]] = {
    Kind.POSITIVE_STERILITY: frozenset({Role.INVESTIGATOR, Role.NURSE, Role.QA, Role.MEDICAL_DIRECTOR}),
    Kind.OUT_OF_SPECIFICATION: frozenset({Role.QA, Role.QC_ANALYST, Role.MEDICAL_DIRECTOR}),
    Kind.DEVIATION_OPENED: frozenset({Role.QA, Role.MEDICAL_DIRECTOR}),
    Kind.RECEIPT_WINDOW: frozenset({Role.OPERATOR, Role.COURIER, Role.COLLECTOR, Role.QA}),
    Kind.ACCOUNT_LOCKED: frozenset({Role.ADMIN}),
}
# Delivery: this many attempts in all, waiting twice as long after each failure, never longer than the cap.
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=2)
WITHHELD = "[withheld]"
# Facts that are patient identity: only a recipient whose roles see it (DESIGN.md section 1) is given them.
IDENTITY_FACTS = ("patient", "mrn", "date_of_birth")
# One address, nothing a mail header or the database could take for something else (no spaces, controls, lists).
_ADDRESS = re.compile(r"^[^@\s<>,;\"\x00-\x1f\x7f]+@[^@\s<>,;\"\x00-\x1f\x7f]+\.[^@\s<>,;\"\x00-\x1f\x7f]+$")


def offered_kinds(roles: Iterable[Role]) -> list[NotificationKind]:
    """The kinds a user holding `roles` may receive, in the order of the list."""
    held = frozenset(roles)
    return [kind for kind in NotificationKind if RECEIVERS[kind] & held]


def receives(kind: NotificationKind, *, roles: Iterable[Role], chosen: Iterable[str]) -> bool:
    """Whether a user receives `kind`: chosen by them, and still offered to their roles now."""
    return kind.value in set(chosen) and bool(RECEIVERS[kind] & frozenset(roles))


def subscription_refusals(*, roles: Iterable[Role], email: str, kinds: Iterable[str]) -> list[Reason]:
    """Why a user's choice of address and kinds may not be saved (none: it may)."""
    reasons: list[Reason] = []
    if email and not _ADDRESS.fullmatch(email):
        reasons.append(Reason("notification.address", _("{address} is not an e-mail address", address=email[:80])))
    offered = {kind.value for kind in offered_kinds(roles)}
    for kind in sorted(set(kinds)):
        if kind not in {k.value for k in NotificationKind}:
            reasons.append(Reason("notification.kind_unknown", _("there is no notification {kind}", kind=kind[:40])))
        elif kind not in offered:
            reasons.append(Reason("notification.kind_not_offered", _(
                "your roles do not receive the notification {kind}", kind=kind)))
    return reasons


def sees_identity(roles: Iterable[Role]) -> bool:
    """Whether a recipient holding `roles` may read a patient's name, MRN and date of birth."""
    return bool(frozenset(roles) & PATIENT_IDENTITY_ROLES)


@dataclass(frozen=True, slots=True)
class Identity:
    """A patient's identity as a notification may name it: the name as written and romanised, MRN, birth date."""

    names: tuple[str, ...]
    mrn: str
    date_of_birth: str

    @property
    def shown_name(self) -> str:
        """The name as its owner writes it, then its romanised form in brackets where there is one: 홍길동 (HONG,
        Gildong)."""
        family, given, family_latin, given_latin = (*self.names, "", "", "", "")[:4]
        as_written, latin = names.written(family, given), names.romanised(family_latin, given_latin)
        return f"{as_written} ({latin})" if latin and latin != as_written else as_written


def facts_for(facts: Mapping[str, str], identity: Identity | None, *, roles: Iterable[Role]) -> dict[str, str]:
    """What one recipient may read: the facts, with the patient's identity added for a recipient who sees it, and
    for anyone else no identity at all, even where a free text (a deviation's description) names it."""
    if identity is None:
        return dict(facts)
    if sees_identity(roles):
        return {**facts, "patient": identity.shown_name, "mrn": identity.mrn, "date_of_birth": identity.date_of_birth}
    return {name: _withhold(value, identity) for name, value in facts.items() if name not in IDENTITY_FACTS}


def _withhold(text: str, identity: Identity) -> str:
    # The whole name in either order, with or without a space (a Korean family name is often one syllable, which
    # alone names nobody and is too common a syllable to cut out), then every part of two characters or more.
    family, given, family_latin, given_latin = (*identity.names, "", "", "", "")[:4]
    wholes = {f"{a}{gap}{b}" for first, second in ((family, given), (family_latin, given_latin))
              for a, b in ((first, second), (second, first)) if a and b for gap in ("", " ", ", ")}
    parts = {p for p in (*identity.names, identity.mrn, identity.date_of_birth) if len(p) >= 2}
    for part in sorted(wholes | parts, key=len, reverse=True):
        text = re.sub(re.escape(part), WITHHELD, text, flags=re.IGNORECASE)
    return text


def retry_at(*, attempts: int, failed_at: datetime) -> datetime | None:
    """When to try a message again after its `attempts`-th attempt failed; None: give up (it has failed)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    return failed_at + wait


def receipt_window_closes(*, collected_at: datetime, max_hours: float) -> datetime:
    """When a bag collected at `collected_at` can no longer be accepted at the lab (the receiving gate's limit)."""
    return collected_at + timedelta(hours=max_hours)


def receipt_window_due(*, closes: datetime, now: datetime, within: timedelta) -> bool:
    """Whether a receipt window is announced now: it closes within `within` (or closed while nobody was told)."""
    return closes <= now + within


def receipt_window_key(*, din: str, closes: datetime) -> str:
    """The key that announces one receipt window once, whatever the number of runs."""
    return f"receipt_window:{din}:{closes.isoformat(timespec='seconds')}"
