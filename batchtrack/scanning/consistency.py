"""Pure check that the structures on one label agree with the record they resolve to.

A final-product label carries the DIN, product code, expiry and COI identifier together; if the COI or the
expiry printed on it is not the one recorded for that container's lot, the label is wrong, whatever the
station expects. The reason names both expiries in the site's time zone, with the zone ("2026-12-08 12:02 KST").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from batchtrack.errors import Reason
from batchtrack.i18n import moments
from batchtrack.i18n.text import _
from batchtrack.scanning.parser import ScanIdentity

# Expiry on a label is encoded to the minute (or the day, read as 23:59).
_EXPIRY_TOLERANCE = timedelta(minutes=1)


def label_agrees(
    identity: ScanIdentity, *, recorded_coi: str | None, recorded_expiry: datetime | None, zone: tzinfo = UTC
) -> list[Reason]:
    """Every way the scanned label disagrees with what is recorded for the container it names; times are named in
    `zone`, the site's."""
    reasons: list[Reason] = []
    if identity.coi is not None and recorded_coi is not None and identity.coi != recorded_coi:
        reasons.append(Reason("scan.label_coi_mismatch", _(
            "the label carries COI identifier {coi}, but this container belongs to {recorded}",
            coi=identity.coi, recorded=recorded_coi)))
    if identity.expires_at is not None and recorded_expiry is not None and not _same_expiry(
        identity.expires_at, recorded_expiry
    ):
        reasons.append(Reason("scan.label_expiry_mismatch", _(
            "the label's expiry {on_label} is not the lot's recorded expiry {recorded}",
            on_label=moments.minute(identity.expires_at, zone), recorded=moments.minute(recorded_expiry, zone))))
    return reasons


def _same_expiry(on_label: datetime, recorded: datetime) -> bool:
    # A date-only label (=>) reads as 23:59 of that day: the same day is a match; otherwise to the minute.
    if on_label.hour == 23 and on_label.minute == 59 and on_label.date() == recorded.date():
        return True
    return abs(on_label - recorded.replace(second=0, microsecond=0)) <= _EXPIRY_TOLERANCE
