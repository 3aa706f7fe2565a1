"""Response shapes of the protocols' API: what an integrator reads to answer a protocol's eligibility criteria."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class CriterionOut(BaseModel):
    """One eligibility criterion: the id an answer names, whether it must hold or must not, and its text."""

    id: str
    kind: Literal["inclusion", "exclusion"]
    applies_to: str
    text: str


class EligibilityCriteria(BaseModel):
    """A protocol's eligibility criteria, as its file defines them (all, or those of one indication and donor)."""

    protocol_id: str
    protocol_version: int
    title: str
    indications: list[str]
    criteria: list[CriterionOut]
