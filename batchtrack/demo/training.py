"""The demonstration's training records: each demo user qualified for what their roles do.

QA's training lead grants every qualification, each grant signed; the lead's own is granted by QA (nobody grants
themselves). Safe to run twice: a qualification already held and not expired is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.qualifications import requirements, schemas
from batchtrack.qualifications import service as qualification_service

NOTE = "demonstration: initial qualification"


def qualify(*, session: Session, actors: Mapping[str, Principal], lead: str, deputy: str,
            password_of: Callable[[str], str]) -> list[str]:
    """Grant each demo user the qualifications their roles need; returns `user: CODE` of each grant made."""
    needs = requirements.load()
    made = []
    held = qualification_service.held_by(session=session, user_ids=[a.user_id for a in actors.values()
                                                                    if a.user_id is not None])
    today = qualification_service.today()
    for username, actor in actors.items():
        trainer = actors[deputy] if username == lead else actors[lead]
        mine = held.get(actor.user_id or 0, {})
        for code in sorted(needs.for_roles(actor.roles)):
            if code in mine and mine[code].expires_on > today:
                continue
            qualification_service.grant(session=session, actor=trainer, username=username, data=schemas.GrantCreate(
                qualification=code, note=NOTE, username=trainer.username, password=password_of(trainer.username)))
            made.append(f"{username}: {code}")
    return made
