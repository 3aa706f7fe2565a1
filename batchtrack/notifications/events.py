"""The events that are announced, each from the service that makes it happen, with one call: the facts of a
lot, a deviation, a bag or an account gathered here, so the calling service stays as it was."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.models.collection import Collection
from batchtrack.models.deviation import Deviation
from batchtrack.models.lot import Lot
from batchtrack.models.notification import NotificationKind
from batchtrack.models.party import Recipient
from batchtrack.models.quality import QcResult
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User
from batchtrack.notifications import rules, service
from batchtrack.protocols import definition

DEFAULT_PROTOCOL = "KCT0004337"  # as the receiving gate reads a recipient without one


def _identity(recipient: Recipient) -> rules.Identity:
    return rules.Identity(
        names=(recipient.family_name, recipient.given_name, recipient.family_name_latin, recipient.given_name_latin),
        mrn=recipient.mrn, date_of_birth=recipient.date_of_birth.isoformat())


def _lot_facts(session: Session, lot: Lot) -> tuple[dict[str, str], rules.Identity | None]:
    therapy = session.get(Therapy, lot.therapy_id)
    recipient = session.get(Recipient, therapy.recipient_id) if therapy is not None else None
    facts = {"din": lot.din, "coi": therapy.coi if therapy else "", "subject": recipient.subject_code if recipient
             else ""}
    return facts, _identity(recipient) if recipient is not None else None


def _result_facts(test_title: str, result: str, row: QcResult) -> dict[str, str]:
    status = row.status + (f", day {row.day}" if row.day is not None else "")
    return {"test": test_title, "result": result, "limit": row.limit_text, "status": status}


def out_of_specification(*, session: Session, lot: Lot, test_title: str, result: str, row: QcResult,
                         deviation: Deviation) -> int:
    """Announce a QC result out of specification, with the deviation it opened."""
    facts, identity = _lot_facts(session, lot)
    facts |= _result_facts(test_title, result, row) | {"deviation": deviation.number}
    return service.announce(session=session, kind=NotificationKind.OUT_OF_SPECIFICATION, entity=lot.din,
                            facts=facts, identity=identity)


def positive_after_release(*, session: Session, lot: Lot, test_title: str, result: str, row: QcResult,
                           deviation: Deviation, released: str | None) -> int:
    """Announce a positive post-release result (sterility) of a lot already released: the clinic must act."""
    facts, identity = _lot_facts(session, lot)
    facts |= _result_facts(test_title, result, row) | {"deviation": deviation.number, "released": released or ""}
    return service.announce(session=session, kind=NotificationKind.POSITIVE_STERILITY, entity=lot.din,
                            facts=facts, identity=identity)


def deviation_opened(*, session: Session, lot: Lot, deviation: Deviation) -> int:
    """Announce a deviation opened on a lot."""
    facts, identity = _lot_facts(session, lot)
    facts |= {"deviation": deviation.number, "origin": deviation.origin, "description": deviation.description,
              "opened_at": deviation.opened_at.isoformat()}
    return service.announce(session=session, kind=NotificationKind.DEVIATION_OPENED, entity=deviation.number,
                            facts=facts, identity=identity)


def account_locked(*, session: Session, user: User, after: str) -> int:
    """Announce an account locked after too many failed sign-ins or signatures."""
    facts = {"username": user.username, "full_name": user.full_name, "after": after,
             "locked_until": user.locked_until.isoformat() if user.locked_until else ""}
    return service.announce(session=session, kind=NotificationKind.ACCOUNT_LOCKED, entity=user.username,
                            facts=facts)


def receipt_windows(*, session: Session, now: datetime, within: timedelta) -> int:
    """Announce each bag in transit whose receipt window closes within `within`, once per window; returns the
    number of messages written."""
    rows = session.execute(
        select(Collection, Therapy, Recipient)
        .join(Therapy, col(Therapy.id) == col(Collection.therapy_id))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .where(col(Collection.state) == "in_transit", col(Collection.collected_at).is_not(None))
        .order_by(col(Collection.id))
    ).all()
    announced = 0
    for collection, therapy, recipient in rows:
        assert collection.collected_at is not None
        limit = definition.load(recipient.protocol_id or DEFAULT_PROTOCOL).limits.max_hours_collection_to_receipt
        closes = rules.receipt_window_closes(collected_at=collection.collected_at, max_hours=limit)
        if not rules.receipt_window_due(closes=closes, now=now, within=within):
            continue
        facts = {"din": collection.din, "coi": therapy.coi, "subject": recipient.subject_code,
                 "collected_at": collection.collected_at.isoformat(), "closes_at": closes.isoformat(),
                 "limit_hours": f"{limit:g}"}
        key = rules.receipt_window_key(din=collection.din, closes=closes)
        announced += service.announce(session=session, kind=NotificationKind.RECEIPT_WINDOW,
                                      entity=collection.din, facts=facts, identity=_identity(recipient), key=key)
    return announced
