"""Label reconciliation (pure): every label printed for a lot is applied, voided or destroyed.

DESIGN.md section 4 (release): printed = applied + voided + destroyed, and every applied label was
scan-verified. The release gate calls `reconcile` with the lot's label rows and refuses on `reasons()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _

PRINTED, APPLIED, VOIDED, DESTROYED = "printed", "applied", "voided", "destroyed"
_KNOWN = frozenset({PRINTED, APPLIED, VOIDED, DESTROYED})


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One printed label as the reconciliation needs it."""

    label_id: int
    container_id: int
    status: str
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The count of labels by where they ended, and the labels that make the difference."""

    printed: int
    applied: int
    voided: int
    destroyed: int
    outstanding: tuple[int, ...] = ()  # printed, not yet applied, voided or destroyed
    applied_unverified: tuple[int, ...] = ()
    unknown_status: tuple[int, ...] = ()

    @property
    def accounted(self) -> int:
        """Labels whose fate is recorded: applied, voided or destroyed."""
        return self.applied + self.voided + self.destroyed

    @property
    def difference(self) -> int:
        """Printed labels not accounted for (0 when balanced)."""
        return difference(printed=self.printed, applied=self.applied, voided=self.voided,
                          destroyed=self.destroyed)

    @property
    def balanced(self) -> bool:
        """True when printed = applied + voided + destroyed."""
        return self.difference == 0

    @property
    def named_difference_text(self) -> Text | None:
        """The labels that make the difference, by id, for people (None when there are none)."""
        outstanding = _("outstanding: label {labels}", labels=_ids(self.outstanding)) if self.outstanding else None
        unknown = (_("unrecognised status: label {labels}", labels=_ids(self.unknown_status))
                   if self.unknown_status else None)
        if outstanding is not None and unknown is not None:
            return _("{outstanding}; {unknown}", outstanding=outstanding, unknown=unknown)
        return outstanding or unknown

    @property
    def named_difference(self) -> str:
        """The labels that make the difference, by id ("" when there are none)."""
        text = self.named_difference_text
        return "" if text is None else str(text)

    def reasons(self) -> list[Reason]:
        """Why the labels of the lot are not reconciled (empty: every label accounted for and verified)."""
        found: list[Reason] = []
        if not self.balanced or self.named_difference:
            found.append(Reason(
                "labels.unbalanced",
                _("{printed} label(s) printed, {accounted} applied, voided or destroyed "
                  "({difference} not accounted for; {named})", printed=self.printed, accounted=self.accounted,
                  difference=self.difference, named=self.named_difference_text or ""),
            ))
        if self.applied_unverified:
            found.append(Reason(
                "labels.unverified",
                _("label {labels} applied without a verifying scan", labels=_ids(self.applied_unverified)),
            ))
        return found


def difference(*, printed: int, applied: int, voided: int, destroyed: int) -> int:
    """The labels printed but not applied, voided or destroyed."""
    return printed - (applied + voided + destroyed)


def reconcile(rows: Iterable[LabelRow]) -> Reconciliation:
    """Reconcile the labels of one lot."""
    ordered = sorted(rows, key=lambda row: row.label_id)
    counts = {status: sum(1 for row in ordered if row.status == status) for status in _KNOWN}
    return Reconciliation(
        printed=len(ordered),
        applied=counts[APPLIED],
        voided=counts[VOIDED],
        destroyed=counts[DESTROYED],
        outstanding=tuple(row.label_id for row in ordered if row.status == PRINTED),
        applied_unverified=tuple(row.label_id for row in ordered if row.status == APPLIED and not row.verified),
        unknown_status=tuple(row.label_id for row in ordered if row.status not in _KNOWN),
    )


def _ids(label_ids: Iterable[int]) -> str:
    return ", ".join(f"#{label_id}" for label_id in label_ids)
