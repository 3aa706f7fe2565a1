"""Notifications: a user's own choice of what they receive, and the announcement of an event to everyone who
receives it, as outbox rows written in the transaction of the change they announce."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.notification import (
    NotificationEvent,
    NotificationKind,
    NotificationMessage,
    NotificationSubscription,
)
from batchtrack.models.user import Role, User, UserRole
from batchtrack.notifications import delivery, rules, schemas

log = logging.getLogger(__name__)


def subscription_of_roles(principal: Principal) -> list[str]:
    """The kinds a user's roles receive (and the kinds they are offered to choose from)."""
    return [kind.value for kind in rules.offered_kinds(principal.roles)]


def subscription_of(*, session: Session, principal: Principal) -> schemas.SubscriptionPublic:
    """A user's address and kinds; before they saved any, no address and the kinds their roles receive."""
    offered = subscription_of_roles(principal)
    row = session.get(NotificationSubscription, principal.user_id) if principal.user_id is not None else None
    if row is None:
        return schemas.SubscriptionPublic(email="", kinds=offered, offered=offered, saved=False)
    chosen = [kind for kind in row.kinds.split(",") if kind in offered]
    return schemas.SubscriptionPublic(email=row.email, kinds=chosen, offered=offered, saved=True)


def save_subscription(*, session: Session, principal: Principal,
                      data: schemas.SubscriptionUpdate) -> schemas.SubscriptionPublic:
    """Save a user's own address and kinds (only kinds their roles receive); audited."""
    if principal.user_id is None or session.get(User, principal.user_id) is None:
        raise NotFound(_("this account cannot receive notifications"), code="user_not_found")
    reasons = rules.subscription_refusals(roles=principal.roles, email=data.email, kinds=data.kinds)
    if reasons:
        raise BadRequest(_("the notifications were not changed"), code="notification.refused", reasons=reasons)
    kinds = ",".join(sorted(set(data.kinds)))
    row = session.get(NotificationSubscription, principal.user_id)
    old = {"email": row.email, "kinds": row.kinds} if row is not None else None
    row = row or NotificationSubscription(user_id=principal.user_id)
    row.email, row.kinds, row.updated_at = data.email, kinds, utcnow()
    session.add(row)
    session.flush()
    audit_service.record(session=session, actor=principal, action="notification.subscription_changed",
                         entity_type="user", entity_id=principal.user_id, old=old,
                         new={"email": data.email, "kinds": kinds})
    return subscription_of(session=session, principal=principal)


def _recipients(session: Session, kind: NotificationKind) -> list[tuple[int, str, frozenset[Role]]]:
    """Active users who chose `kind`, still receive it, and gave an address: (user id, address, roles)."""
    rows = session.execute(
        select(col(NotificationSubscription.user_id), col(NotificationSubscription.email),
               col(NotificationSubscription.kinds))
        .join(User, col(User.id) == col(NotificationSubscription.user_id))
        .where(col(User.is_active).is_(True), col(NotificationSubscription.email) != "",
               col(NotificationSubscription.kinds).contains(kind.value))
    ).all()
    if not rows:
        return []
    roles: dict[int, set[Role]] = defaultdict(set)
    for user_id, role in session.execute(select(col(UserRole.user_id), col(UserRole.role)).where(
            col(UserRole.user_id).in_([row[0] for row in rows]))):
        if role in Role._value2member_map_:
            roles[user_id].add(Role(role))
    return [(user_id, email, frozenset(roles[user_id])) for user_id, email, chosen in rows
            if rules.receives(kind, roles=roles[user_id], chosen=chosen.split(","))]


def announce(*, session: Session, kind: NotificationKind, entity: str, facts: Mapping[str, str],
             identity: rules.Identity | None = None, key: str | None = None) -> int:
    """Write one outbox message per recipient of `kind`, in the caller's transaction (a rollback sends nothing);
    each recipient gets the facts they may read. With a `key`, an event already announced is not announced again.
    Returns the number of messages written; they are sent once the transaction has committed."""
    if key is not None and session.execute(
            select(col(NotificationEvent.id)).where(col(NotificationEvent.key) == key)).first() is not None:
        return 0
    recipients = _recipients(session, kind)
    if not recipients and key is None:
        return 0
    event = NotificationEvent(kind=kind.value, key=key, entity=entity[:64])
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:  # the same key announced at the same moment by another run
        return 0
    assert event.id is not None
    for user_id, address, roles in recipients:
        session.add(NotificationMessage(
            event_id=event.id, user_id=user_id, address=address, kind=kind.value,
            facts=json.dumps(rules.facts_for(facts, identity, roles=roles), ensure_ascii=False, sort_keys=True)))
    session.flush()
    if recipients:
        delivery.send_after_commit(session)
    log.info("notification %s about %s: %d message(s)", kind.value, entity, len(recipients))
    return len(recipients)
