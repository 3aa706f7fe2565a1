"""Running the Alembic migrations shipped with batchtrack, and checking the schema is current.

Checking is done on every start of a server and by every health check; upgrading only by `batchtrack migrate`
(and the demo). So the check needs no Alembic: the database's revision is one row of `alembic_version`, and the
shipped head is read from the migration files' `revision` and `down_revision` assignments. Alembic itself (about
11 MB of a server's memory) is imported only to upgrade. A test holds the two readings to Alembic's own.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Engine, MetaData, String, Table, inspect, select

from batchtrack.resources import resource_dir

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "alembic_version"
_VERSION = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32), primary_key=True))


class MigrationsError(RuntimeError):
    """The shipped migration files do not form one line of revisions."""


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the shipped migrations and this engine's database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database schema to `revision` (default: the newest)."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        revisions = list(connection.execute(select(_VERSION.c.version_num)).scalars())
    if len(revisions) > 1:
        raise MigrationsError(f"the database records several schema heads: {', '.join(sorted(revisions))}")
    return revisions[0] if revisions else None


def _assigned(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    """The constant values assigned at module level to `names` in a migration file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        value = node.value if isinstance(node, ast.AnnAssign | ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in names and value is not None:
            found[target.id] = ast.literal_eval(value)
    return found


def head_of(versions: Path) -> str | None:
    """The newest revision among the migration files in `versions`: the one no other revises."""
    revises: dict[str, str | None] = {}
    for path in sorted(versions.glob("*.py")):
        assigned = _assigned(path, ("revision", "down_revision"))
        revision, down = assigned.get("revision"), assigned.get("down_revision")
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            raise MigrationsError(f"{path.name}: a migration names its revision and the one it revises as text")
        revises[revision] = down
    heads = set(revises) - set(revises.values())
    if len(heads) > 1:
        raise MigrationsError(f"the shipped migrations have several heads: {', '.join(sorted(heads))}")
    return heads.pop() if heads else None


@lru_cache(maxsize=1)
def shipped_head() -> str | None:
    """The newest revision this installation ships."""
    return head_of(resource_dir("migrations") / "versions")


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the newest shipped revision."""
    return current_revision(engine) == shipped_head()
