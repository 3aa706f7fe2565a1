"""After a bulk load: the database's statistics brought up to date before anything is measured."""

from __future__ import annotations

from sqlalchemy import Engine, text


def vacuum_analyze(engine: Engine) -> None:
    """On PostgreSQL, vacuum and analyse every table now; on SQLite, nothing.

    Autovacuum would analyse and vacuum freshly loaded tables (their inserts pass its thresholds) within a minute
    or so: during the measured runs, competing with them for the processors at a moment of its own choosing (on a
    table of ten million audit entries, for a minute or more). Done now, the planner has statistics from the
    first request and every run meets the same tables. SQLite has no such daemon and batchtrack never runs ANALYZE.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
