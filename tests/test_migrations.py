"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import batchtrack.models
from batchtrack import migrate
from batchtrack.db import Database, make_engine
from batchtrack.resources import resource_dir


def test_autogenerate_finds_no_difference_between_migrations_and_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, batchtrack.models.metadata)
    assert differences == []


def test_the_test_database_is_at_the_shipped_head(database: Database) -> None:
    assert migrate.is_current(database.engine)
    assert migrate.current_revision(database.engine) == migrate.shipped_head()


def test_migrating_again_is_harmless(database: Database) -> None:
    migrate.upgrade(database.engine)
    assert migrate.is_current(database.engine)


def test_the_schema_check_reads_what_alembic_reads(database: Database) -> None:
    with database.engine.connect() as connection:
        alembic_current = MigrationContext.configure(connection).get_current_revision()
    assert migrate.current_revision(database.engine) == alembic_current is not None
    shipped = ScriptDirectory(str(resource_dir("migrations"))).get_current_head()
    assert migrate.shipped_head() == shipped is not None


def test_an_empty_database_has_no_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        assert migrate.current_revision(engine) is None
        assert not migrate.is_current(engine)
    finally:
        engine.dispose()


def test_migration_files_with_two_heads_are_refused(tmp_path: Path) -> None:
    for name, revision, down in (("a", "r1", None), ("b", "r2", "r1"), ("c", "r3", "r1")):
        (tmp_path / f"{name}.py").write_text(f"revision: str = {revision!r}\ndown_revision: str | None = {down!r}\n")
    with pytest.raises(migrate.MigrationsError, match="several heads: r2, r3"):
        migrate.head_of(tmp_path)
    (tmp_path / "d.py").write_text("revision = 'r4'\ndown_revision = ('r2', 'r3')\n")  # a merge is not shipped
    with pytest.raises(migrate.MigrationsError, match=r"d\.py"):
        migrate.head_of(tmp_path)


def test_a_server_process_does_not_load_the_migration_tool(tmp_path: Path) -> None:
    # The app as `serve` builds it, its schema checked as at start-up and by /health: Alembic stays unimported.
    program = (
        "import sys\n"
        "from batchtrack import cli, migrate\n"
        "from batchtrack.db import make_engine\n"
        "app = cli.serving_app()\n"
        "engine = make_engine(app.state.settings.effective_database_url)\n"
        "migrate.is_current(engine)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))\n"
    )
    database_url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    env = {**os.environ, "BATCHTRACK_ENVIRONMENT": "demo", "BATCHTRACK_DATABASE_URL": database_url}
    finished = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip() == "[]"
