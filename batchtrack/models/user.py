"""Users, their roles, and API tokens."""

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


class UserRole(SQLModel, table=True):
    """One role held by one user."""

    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="RESTRICT")
    role: str = Field(max_length=32, primary_key=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for scanners and integrations; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=100)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
