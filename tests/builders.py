"""Small typed builders of test data, going through the services as a user would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.therapies import schemas as therapy_schemas
from batchtrack.therapies import service as therapy_service

PATIENT_FAMILY = "Zwierzynska"
PATIENT_GIVEN = "Philomena"
PATIENT_DOB = date(1987, 3, 29)
PATIENT_MRN = "MRN-99817723"


@dataclass(frozen=True)
class UserHandle:
    """A user created for a test, with the password and an API token."""

    username: str
    password: str
    token: str
    principal: Principal


def make_user(database: Database, *roles: Role, username: str | None = None) -> UserHandle:
    """Create a user holding `roles`, with a password and an API token."""
    name = username or f"{roles[0].value}-{secrets.token_hex(3)}"
    password = "Correct-Horse-" + secrets.token_hex(6)
    with database.transaction() as session:
        user = auth_service.create_user(session=session, actor=SYSTEM, username=name,
                                        full_name=f"Test {name.title()}", password=password, roles=set(roles))
        principal = auth_service.principal_for(session=session, user=user)
        token = auth_service.create_api_token(session=session, actor=SYSTEM, username=name, name="tests")
    return UserHandle(name, password, token, principal)


@dataclass(frozen=True)
class SeededLot:
    """A therapy with one accepted collection and its lot."""

    coi: str
    din: str


def seed_lot(database: Database, settings: Settings, *, subject: str = "S-001", mrn: str = PATIENT_MRN,
             family: str = PATIENT_FAMILY, given: str = PATIENT_GIVEN) -> SeededLot:
    """Open a therapy, collect, dispatch and accept its aspirate: the lot is then in process."""
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    lab = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        therapy = therapy_service.open_therapy(
            session=session, settings=settings, actor=clinician.principal,
            data=therapy_schemas.TherapyCreate(recipient=therapy_schemas.RecipientCreate(
                subject_code=subject, family_name=family, given_name=given, date_of_birth=PATIENT_DOB,
                mrn=mrn)))
        collection = collection_service.schedule(
            session=session, settings=settings, actor=clinician.principal,
            data=collection_schemas.CollectionCreate(therapy_coi=therapy.coi))
        for name, actor in (("collect", clinician), ("dispatch", clinician), ("accept", lab)):
            collection_service.transition(session=session, actor=actor.principal, din=collection.din, name=name,
                                          data=collection_schemas.CollectionTransition())
        lot = lot_service.get_by_din(session=session, din=collection.din)
        return SeededLot(coi=therapy.coi, din=lot.din)
