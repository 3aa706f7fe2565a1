"""API: a protocol's eligibility criteria, so that an integration answers them by the ids the protocol file holds
rather than by a copy of its own."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest, Reason
from batchtrack.models.user import Role
from batchtrack.protocols import definition, eligibility, schemas
from batchtrack.web.deps import Allow

router = APIRouter(prefix="/protocols", tags=["enrolment"])
# Those who answer the criteria (enrolment.routes.assess_eligibility) read them.
Investigator = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR))]
ProtocolPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
IndicationQuery = Annotated[str | None, Query(min_length=1, max_length=32)]
DonorKindQuery = Annotated[Literal["autologous", "directed"] | None, Query()]


@router.get("/{protocol_id}/eligibility-criteria",
            responses={400: {"description": "An indication the protocol does not cover"}})
def list_eligibility_criteria(
    protocol_id: ProtocolPath, _reader: Investigator, indication: IndicationQuery = None,
    donor_kind: DonorKindQuery = None,
) -> schemas.EligibilityCriteria:
    """The protocol's eligibility criteria; with an indication, only those an enrolment with that indication (and
    donor kind, autologous unless said) must answer."""
    protocol = definition.load(protocol_id)
    if indication is not None and (not_covered := eligibility.unknown_indication(protocol, indication)):
        why = Reason("protocol.unknown_indication", not_covered)
        raise BadRequest(why.text, code=why.code, reasons=[why])
    criteria = eligibility.listed(protocol, indication=indication, donor_kind=donor_kind)
    return schemas.EligibilityCriteria(
        protocol_id=protocol.id, protocol_version=protocol.version, title=protocol.title,
        indications=list(protocol.indications),
        criteria=[schemas.CriterionOut(id=c.id, kind=c.kind, applies_to=c.applies_to, text=c.text)
                  for c in criteria])
