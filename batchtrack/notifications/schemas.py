"""What the API reads and answers about a user's notifications."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
KindName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]


class SubscriptionPublic(BaseModel):
    """Where a user's notifications go and which kinds they receive; `offered`: the kinds their roles receive."""

    email: str
    kinds: list[str]
    offered: list[str]
    saved: bool


class SubscriptionUpdate(BaseModel):
    """A user's choice, whole (a PUT replaces it): an address (empty: no e-mail at all) and the kinds to receive
    there. A body that names neither, or names a field this does not know, is refused rather than taken as a choice
    of nothing."""

    model_config = ConfigDict(extra="forbid")

    email: Address
    kinds: list[KindName] = Field(max_length=20)
