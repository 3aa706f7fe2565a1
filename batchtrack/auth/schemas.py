"""Response shapes for the signed-in user."""

from __future__ import annotations

from pydantic import BaseModel


class Me(BaseModel):
    """Who the caller is and what they may do."""

    username: str
    full_name: str
    roles: list[str]
    sees_patient_identity: bool
