"""The recipient's identity as the clinicians confirm it at the bedside, and the wristband's identity compared field
by field with the one the bag's label carries (pure: the views gather the records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from batchtrack.i18n.text import Text, _
from batchtrack.people import names

NONE_RECORDED = "—"


@dataclass(frozen=True, slots=True)
class RecipientView:
    """The recipient as the clinicians at the bedside confirm them (clinical roles only)."""

    coi: str
    subject_code: str
    name: str  # as written: "홍길동", or "FAMILY, Given" in another script
    name_latin: str  # romanised: "HONG, Gildong"; "" when none is recorded
    date_of_birth: date

    @property
    def hangul(self) -> bool:
        """Whether the name as written is Hangul (the page marks it as Korean text for fonts and screen readers)."""
        return names.is_hangul(self.name)

    @property
    def born(self) -> str:
        """The date of birth as people read it at every site: yyyy-mm-dd."""
        return self.date_of_birth.isoformat()


def recipient(*, coi: str, subject_code: str, family: str, given: str, family_latin: str, given_latin: str,
              date_of_birth: date) -> RecipientView:
    """The recipient's identity from their record's fields, the names formatted as the bedside shows them."""
    return RecipientView(coi, subject_code, names.written(family, given), names.romanised(family_latin, given_latin),
                         date_of_birth)


@dataclass(frozen=True, slots=True)
class Compared:
    """One field of the identity as the wristband and the bag's label name it."""

    key: str  # names the row for the page (an element id) and for tests
    field: Text
    wristband: str
    label: str

    @property
    def same(self) -> bool:
        """Whether the wristband and the label agree on this field."""
        return self.wristband == self.label


def compare(wristband: RecipientView, label: RecipientView) -> list[Compared]:
    """The wristband's recipient and the bag label's, field by field: both names, the date of birth, the subject
    and the therapy (a name not recorded is shown as a dash, and two dashes agree)."""
    return [
        Compared("name", _("Name as written"), wristband.name, label.name),
        Compared("name-latin", _("Romanised name"), wristband.name_latin or NONE_RECORDED,
                 label.name_latin or NONE_RECORDED),
        Compared("born", _("Date of birth"), wristband.born, label.born),
        Compared("subject", _("Subject code"), wristband.subject_code, label.subject_code),
        Compared("coi", _("COI identifier"), wristband.coi, label.coi),
    ]


def differ(rows: list[Compared]) -> bool:
    """Whether the wristband and the label disagree on any field."""
    return any(not row.same for row in rows)
