"""Allocation of DINs and COI identifiers: the database advances the sequence, so no two are ever equal."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from batchtrack.identifiers import coi, din
from batchtrack.models.base import utcnow
from batchtrack.models.sequence import IdentifierSequence

_TABLE: Table = IdentifierSequence.__table__  # type: ignore[attr-defined]


def next_number(*, session: Session, kind: str, fin: str, year: int) -> int:
    """Advance and return the sequence for (kind, FIN, year) in one atomic upsert."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(_TABLE).values(kind=kind, fin=fin, year=year, last_value=1).on_conflict_do_update(
        index_elements=[_TABLE.c.kind, _TABLE.c.fin, _TABLE.c.year],
        set_={"last_value": _TABLE.c.last_value + 1},
    )
    value = session.execute(upsert.returning(_TABLE.c.last_value)).scalar_one()
    return int(value)


def allocate_din(*, session: Session, fin: str, year: int | None = None) -> din.Din:
    """Allocate the next DIN for the facility and year (default: this UTC year)."""
    year = utcnow().year if year is None else year
    return din.build(fin=fin, year=year, sequence=next_number(session=session, kind="din", fin=fin, year=year))


def allocate_coi(*, session: Session, fin: str, year: int | None = None) -> coi.CoiIdentifier:
    """Allocate the next COI identifier for the facility and year (default: this UTC year)."""
    year = utcnow().year if year is None else year
    number = next_number(session=session, kind="coi", fin=fin, year=year)
    return coi.build(fin=fin, year=year, sequence=number)
