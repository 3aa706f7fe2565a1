"""Enrolling recipients and opening therapies; reading them with or without patient identity."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import Conflict, NotFound
from batchtrack.i18n.text import _
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import isbt
from batchtrack.identifiers import service as identifier_service
from batchtrack.models.party import Donor, DonorKind, Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.people import names
from batchtrack.therapies import schemas


def open_for(
    *, session: Session, settings: Settings, actor: Principal, recipient: Recipient, donor: Donor,
    prescribed_cells_per_kg: float,
) -> Therapy:
    """Open the therapy (COI record) of an eligible recipient, with a newly allocated COI identifier."""
    assert recipient.id is not None and donor.id is not None and actor.user_id is not None
    open_already = session.execute(
        select(Therapy.coi).where(col(Therapy.recipient_id) == recipient.id, col(Therapy.state) == "open")
    ).first()
    if open_already:
        raise Conflict(_("subject {subject} already has an open therapy {coi}", subject=recipient.subject_code,
                         coi=open_already[0]), code="therapy.already_open")
    collection_type = isbt.COLLECTION_AUTOLOGOUS if donor.kind == DonorKind.AUTOLOGOUS else isbt.COLLECTION_DIRECTED
    coi = identifier_service.allocate_coi(session=session, fin=settings.facility_fin)
    therapy = Therapy(
        coi=coi.value, recipient_id=recipient.id, donor_id=donor.id,
        product_code=isbt.product_code(settings.product_description_code, collection_type),
        prescribed_cells_per_kg=prescribed_cells_per_kg, created_by=actor.user_id,
    )
    session.add(therapy)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="therapy.opened", entity_type="therapy", entity_id=therapy.coi,
        new={"coi": therapy.coi, "state": therapy.state, "subject_code": recipient.subject_code,
             "donor_kind": donor.kind,
             "donor_code": donor.donor_code, "product_code": therapy.product_code,
             "prescribed_cells_per_kg": therapy.prescribed_cells_per_kg},
    )
    return therapy


def get_by_coi(*, session: Session, coi: str) -> Therapy:
    """The therapy with this COI identifier (check character optional); NotFound otherwise."""
    compact = "".join(coi.split()).upper()[: coi_id.COI_LENGTH]
    therapy = session.execute(select(Therapy).where(col(Therapy.coi) == compact)).scalar_one_or_none()
    if therapy is None:
        raise NotFound(_("no therapy with COI identifier {coi}", coi=compact[:20]))
    return therapy


def to_public(
    *, session: Session, therapy: Therapy, viewer: Principal
) -> schemas.TherapyWithIdentity | schemas.TherapyPublic:
    """The therapy as `viewer` may see it: with patient identity only for clinical roles."""
    recipient = session.get(Recipient, therapy.recipient_id)
    donor = session.get(Donor, therapy.donor_id)
    assert recipient is not None and donor is not None and therapy.id is not None
    parsed = coi_id.parse(therapy.coi)
    public = schemas.TherapyPublic(
        coi=therapy.coi, coi_check=parsed.check, coi_eye_readable=coi_id.eye_readable(parsed),
        subject_code=recipient.subject_code, donor_kind=donor.kind, donor_code=donor.donor_code,
        product_code=therapy.product_code, state=therapy.state,
        prescribed_cells_per_kg=therapy.prescribed_cells_per_kg, created_at=therapy.created_at,
    )
    if not viewer.sees_patient_identity:
        return public
    return schemas.TherapyWithIdentity(
        **public.model_dump(), recipient_family_name=recipient.family_name,
        recipient_given_name=recipient.given_name, recipient_family_name_latin=recipient.family_name_latin,
        recipient_given_name_latin=recipient.given_name_latin,
        recipient_name=names.written(recipient.family_name, recipient.given_name),
        recipient_name_romanised=names.romanised(recipient.family_name_latin, recipient.given_name_latin),
        recipient_date_of_birth=recipient.date_of_birth, recipient_mrn=recipient.mrn,
    )


def list_therapies(*, session: Session, offset: int, limit: int, state: str | None = None) -> tuple[list[Therapy], int]:
    """A page of therapies, newest first, with the total count."""
    query = select(Therapy)
    counter = select(func.count()).select_from(Therapy)
    if state:
        query = query.where(col(Therapy.state) == state)
        counter = counter.where(col(Therapy.state) == state)
    rows = session.execute(
        query.order_by(col(Therapy.id).desc()).offset(offset).limit(limit)
    ).scalars()
    return list(rows), int(session.execute(counter).scalar_one())


def counts_by_state(*, session: Session) -> dict[str, int]:
    """How many therapies are in each state."""
    rows = session.execute(select(col(Therapy.state), func.count()).group_by(col(Therapy.state))).all()
    return {state: int(count) for state, count in rows}
