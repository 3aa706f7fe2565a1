"""An e-mail's text from a message's facts, in the recipient's language, times in the site's zone (pure)."""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from batchtrack.i18n import moments
from batchtrack.i18n.text import Text, _
from batchtrack.models.notification import NotificationKind

Kind = NotificationKind

# What each kind is called where a user chooses what they receive.
KIND_TITLES: dict[str, Text] = {
    Kind.POSITIVE_STERILITY.value: _("A released lot's sterility (post-release) result is positive"),
    Kind.OUT_OF_SPECIFICATION.value: _("A QC result is out of specification"),
    Kind.DEVIATION_OPENED.value: _("A deviation is opened"),
    Kind.RECEIPT_WINDOW.value: _("A bag in transit must soon be received at the lab"),
    Kind.ACCOUNT_LOCKED.value: _("An account is locked after failed attempts"),
}
SUBJECTS: dict[NotificationKind, Text] = {
    Kind.POSITIVE_STERILITY: _("URGENT: lot {din} was released and its {test} result is positive"),
    Kind.OUT_OF_SPECIFICATION: _("Out of specification: {test} of lot {din}"),
    Kind.DEVIATION_OPENED: _("Deviation {deviation} opened on lot {din}"),
    Kind.RECEIPT_WINDOW: _("Bag {din} must be received at the lab by {closes_at}"),
    Kind.ACCOUNT_LOCKED: _("Account {username} locked"),
}
OPENINGS: dict[NotificationKind, Text] = {
    Kind.POSITIVE_STERILITY: _("A lot already released has a positive post-release result. Inform the treating "
                               "physician at once: the product may already have been infused."),
    Kind.OUT_OF_SPECIFICATION: _("A QC result is out of specification. A deviation was opened; QA investigates "
                                 "before any decision on the lot."),
    Kind.DEVIATION_OPENED: _("A deviation was opened. While it is open, the lot is on hold."),
    Kind.RECEIPT_WINDOW: _("A bag in transit must reach the lab before its receipt window closes; after that, the "
                           "receiving gate refuses it."),
    Kind.ACCOUNT_LOCKED: _("An account was locked after too many failed sign-ins or signatures."),
}
# Each fact a message may hold, with its label, in the order an e-mail lists them.
LABELS: tuple[tuple[str, Text], ...] = (
    ("din", _("DIN")),
    ("coi", _("COI")),
    ("subject", _("Subject code")),
    ("patient", _("Patient")),
    ("mrn", _("MRN")),
    ("date_of_birth", _("Date of birth")),
    ("test", _("Test")),
    ("result", _("Result")),
    ("limit", _("Limit")),
    ("status", _("Status")),
    ("released", _("Released as")),
    ("deviation", _("Deviation")),
    ("origin", _("Origin")),
    ("opened_at", _("Opened")),
    ("description", _("Description")),
    ("collected_at", _("Collected")),
    ("closes_at", _("Receipt window closes")),
    ("limit_hours", _("Hours allowed from collection to receipt")),
    ("username", _("User name")),
    ("full_name", _("Printed name")),
    ("after", _("Last failed attempt")),
    ("locked_until", _("Locked until")),
)
# Facts whose value is a data file's text (a test's title), shown as the catalog translates it.
DATA_TEXTS = frozenset({"test"})
FOOTER = _("Sent by batchtrack, {facility}. You choose what you receive on the notifications page of your account.")


@dataclass(frozen=True, slots=True)
class Mail:
    """An e-mail's subject and plain-text body."""

    subject: str
    body: str


def _shown(name: str, value: str, translations: gettext.NullTranslations, zone: tzinfo) -> str:
    if name.endswith("_at") or name == "locked_until":
        try:
            return moments.minute(datetime.fromisoformat(value), zone)
        except ValueError:
            return value
    if name in DATA_TEXTS and value:
        return translations.gettext(value)
    return value


def compose(kind: NotificationKind, facts: Mapping[str, str], *, translations: gettext.NullTranslations,
            zone: tzinfo, facility: str) -> Mail:
    """The e-mail of one message: its subject and body in the language of `translations`."""
    shown = {name: _shown(name, value, translations, zone) for name, value in facts.items()}
    fields = {name: shown.get(name, "") for name in ("din", "test", "deviation", "closes_at", "username")}
    subject = Text(SUBJECTS[kind].source, tuple(fields.items())).shown_in(translations)
    lines = [OPENINGS[kind].shown_in(translations), ""]
    for name, label in LABELS:
        if shown.get(name):
            lines.append(f"{label.shown_in(translations)}: {shown[name]}")
    lines += ["", Text(FOOTER.source, (("facility", facility),)).shown_in(translations)]
    return Mail(subject=" ".join(subject.split()), body="\n".join(lines) + "\n")
