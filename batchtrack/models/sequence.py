"""Identifier sequences, one per kind, facility and year, advanced inside the database."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class IdentifierSequence(SQLModel, table=True):
    """The last number issued for one kind of identifier (din, coi) at one facility in one year."""

    __tablename__ = "identifier_sequence"

    kind: str = Field(max_length=8, primary_key=True)
    fin: str = Field(max_length=5, primary_key=True)
    year: int = Field(primary_key=True)
    last_value: int = 0
