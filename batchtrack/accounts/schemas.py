"""Request and response shapes for accounts, passwords, sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field, StringConstraints

from batchtrack.web.validation import LongText, RecordId, RequestModel, ShortText, StationName

USERNAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
# A user name as sign-in reads it (case ignored): letters, digits, dot, dash, underscore.
Username = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=USERNAME_PATTERN)]
UsernamePath = Annotated[str, Path(pattern=USERNAME_PATTERN, description="user name")]
# The user id a signer types next to their password; empty when not typed (only later signatures of a session).
SignerId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64, pattern=r"^[A-Za-z0-9._-]*$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
RoleName = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=32)]
Roles = Annotated[list[RoleName], Field(max_length=20)]
Reason = Annotated[LongText, Field(min_length=1)]
TokenName = Annotated[ShortText, Field(max_length=100)]


class Signed(RequestModel):
    """An administrator's signed action on an account: why, and the signature (meaning: approved)."""

    reason: Reason
    username: SignerId = ""
    password: Password


class UserCreate(RequestModel):
    """Create a user: the name they will sign in with, their printed name and roles; signed. They get a temporary
    password, to replace at their first sign-in."""

    new_username: Username
    full_name: ShortText
    roles: Roles
    reason: Reason
    username: SignerId = ""
    password: Password


class RolesChange(Signed):
    """Replace a user's roles (all of them, as listed); signed."""

    roles: Roles


class PasswordChange(RequestModel):
    """Change one's own password: the current one, and the new one twice."""

    current_password: Password
    new_password: Password
    repeat_password: Password


class SessionsEnd(RequestModel):
    """End one's own sessions: every other one, or this one too."""

    include_current: bool = False


class TokenCreate(RequestModel):
    """Issue an API token for a user: what it is for, the roles it carries (some of the user's; all when none are
    listed), an optional station, and how many days it lasts (the default when not given)."""

    user: Username
    name: TokenName
    roles: Roles = []
    station: StationName | None = None
    days: int | None = Field(default=None, ge=1, le=36_500)


class TokenRevoke(RequestModel):
    """Revoke a token, with the reason."""

    reason: Reason


TokenIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="API token id")]


class SessionPublic(BaseModel):
    """One open browser session of the user."""

    id: int
    started_at: datetime
    last_seen_at: datetime
    client_address: str
    user_agent: str
    current: bool


class TokenPublic(BaseModel):
    """An API token as it is listed (never the token itself)."""

    id: RecordId
    username: str
    name: str
    roles: list[str]
    station: str | None
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: str


class TokenIssued(TokenPublic):
    """A token just issued: the token itself, shown this once."""

    token: str


class UserPublic(BaseModel):
    """A user account as the administrator sees it (no patient identity is ever part of it)."""

    username: str
    full_name: str
    roles: list[str]
    state: Literal["active", "inactive", "locked"]
    is_active: bool
    locked_until: datetime | None  # while locked
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
    password_changed_at: datetime | None


class UserDetail(UserPublic):
    """A user with their open sessions and tokens."""

    sessions: list[SessionPublic]
    tokens: list[TokenPublic]


class UserCreated(UserPublic):
    """A user just created, with their temporary password, shown this once."""

    temporary_password: str


class PasswordChanged(BaseModel):
    """One's own password changed: when, and how many other sessions it ended."""

    username: str
    password_changed_at: datetime
    other_sessions_ended: int


class PasswordReset(BaseModel):
    """A temporary password (a new account's, or after a reset), shown this once: the user must choose a new one
    at sign-in."""

    username: str
    temporary_password: str


class SessionsEnded(BaseModel):
    """How many sessions were ended."""

    ended: int
