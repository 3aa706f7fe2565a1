"""Users, their roles, their sign-in sessions, their past passwords, and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class Role(StrEnum):
    """What a person does in the chain (DESIGN.md section 1)."""

    INVESTIGATOR = "investigator"
    NURSE = "nurse"
    COLLECTOR = "collector"
    COURIER = "courier"
    OPERATOR = "operator"
    QC_ANALYST = "qc_analyst"
    QA = "qa"
    MEDICAL_DIRECTOR = "medical_director"
    ADMIN = "admin"


class User(SQLModel, table=True):
    """A person who signs in; the printed name appears on signatures."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    full_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set by an administrator's reset: the temporary password then opens only the change-password page.
    must_change_password: bool = False
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The language the user reads the pages in ("ko", "en"); none chosen: the browser's, else the site's.
    language: str | None = Field(default=None, max_length=8)


class UserRole(SQLModel, table=True):
    """One role held by one user."""

    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="RESTRICT")
    role: str = Field(max_length=32, primary_key=True)


class PasswordHistory(SQLModel, table=True):
    """A password a user held (its argon2 hash): a new password may not be one of the last few."""

    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="RESTRICT")
    password_hash: str = Field(max_length=255)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """One sign-in in a browser, held by the server: the cookie carries only a random key whose hash is here.

    A session ends at sign-out, at deactivation, at a change of roles or password, after the idle time or the
    absolute time (settings); an ended session is refused by every server at its next request.
    """

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="RESTRICT")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=32)
    # The first electronic signature of the session (user id and password); later ones need the password only.
    first_signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class ApiToken(SQLModel, table=True):
    """A bearer token for scanners and integrations; only its SHA-256 hash is stored.

    It carries some of its user's roles (never more: a role the user loses is lost by the token too), optionally
    one station, and an expiry.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=100)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Role values, comma-separated in sorted order.
    roles: str = Field(default="", max_length=200)
    station: str | None = Field(default=None, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
