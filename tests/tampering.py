"""Changing records behind the application's back, as someone with database or file access can: the tests of what
`audit verify` and the records' pages then show."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def guards_off(session: Session, *tables: str) -> None:
    """Switch the append-only guards off for this transaction, in this test's database only.

    PostgreSQL: replica mode, as a superuser can set it (no ordinary trigger fires). SQLite: the UPDATE and DELETE
    triggers of `tables` dropped (every trigger when none is named), as the owner of the file can.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        return
    if not tables:
        for name in session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars():
            session.execute(text(f'DROP TRIGGER "{name}"'))
        return
    for table in tables:
        session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
        session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
