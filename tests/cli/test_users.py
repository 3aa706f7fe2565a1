"""`batchtrack user`: list, deactivate, reactivate, change roles, reset a password, and list and revoke tokens, as
the system with a reason; before this, the command line could only create users and issue tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import text

from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database
from batchtrack.main import create_app
from batchtrack.models.user import Role

from builders import make_user


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command at the test's database."""
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _me(settings: Settings, database: Database, token: str) -> int:
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
        return client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code


def _last_entry(database: Database, action: str) -> tuple[str, str]:
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT actor_name, reason FROM audit_entry WHERE action = :a "
                                      "ORDER BY seq DESC LIMIT 1"), {"a": action}).one()
    return row[0], row[1]


def test_every_user_command_explains_itself() -> None:
    for command in (["user"], ["user", "create"], ["user", "list"], ["user", "deactivate"], ["user", "reactivate"],
                    ["user", "roles"], ["user", "reset-password"], ["user", "token"], ["user", "token", "issue"],
                    ["user", "token", "list"], ["user", "token", "revoke"]):
        result = _run(*command, "--help")
        assert result.exit_code == 0, (command, result.output)
        assert len(result.output.splitlines()) > 3, command


def test_user_list_shows_roles_state_and_last_sign_in(env: str, database: Database) -> None:
    nurse = make_user(database, Role.NURSE)
    qa = make_user(database, Role.QA)
    listed = _run("user", "list")
    assert listed.exit_code == 0, listed.output
    assert nurse.username in listed.output and qa.username in listed.output and "never" in listed.output
    only_qa = _run("user", "list", "--role", "qa")
    assert qa.username in only_qa.output and nurse.username not in only_qa.output
    assert "no user matches" in _run("user", "list", "--state", "inactive").output


def test_deactivate_needs_a_reason_and_refuses_the_users_token_at_once(
    env: str, database: Database, settings: Settings
) -> None:
    operator = make_user(database, Role.OPERATOR)
    assert _run("user", "deactivate", operator.username).exit_code != 0
    done = _run("user", "deactivate", operator.username, "--reason", "left the company")
    assert done.exit_code == 0, done.output
    assert "deactivated" in done.output
    assert _me(settings, database, operator.token) == 401
    assert _last_entry(database, "user.deactivated") == ("batchtrack system", "left the company")
    again = _run("user", "reactivate", operator.username, "--reason", "rehired")
    assert again.exit_code == 0 and _me(settings, database, operator.token) == 200


def test_the_last_active_administrator_cannot_be_deactivated_or_lose_the_role(env: str, database: Database) -> None:
    admin = make_user(database, Role.ADMIN)
    refused = _run("user", "deactivate", admin.username, "--reason", "tidy up")
    assert refused.exit_code == 1 and "last_admin" in refused.output
    demoted = _run("user", "roles", admin.username, "--role", "qa", "--reason", "tidy up")
    assert demoted.exit_code == 1 and "last_admin" in demoted.output
    second = make_user(database, Role.ADMIN)
    assert _run("user", "deactivate", admin.username, "--reason", "handed over to " + second.username).exit_code == 0


def test_roles_replaces_the_users_roles(env: str, database: Database, settings: Settings) -> None:
    user = make_user(database, Role.OPERATOR)
    changed = _run("user", "roles", user.username, "--role", "operator", "--role", "qc_analyst", "--reason", "cover")
    assert changed.exit_code == 0, changed.output
    with database.engine.connect() as connection:
        roles = connection.execute(text("SELECT r.role FROM user_role r JOIN app_user u ON u.id = r.user_id "
                                        "WHERE u.username = :u ORDER BY r.role"), {"u": user.username}).scalars()
        assert list(roles) == ["operator", "qc_analyst"]
    assert _run("user", "roles", user.username, "--role", "wizard", "--reason", "x").exit_code == 2


def test_reset_password_prints_a_temporary_password_once_that_forces_a_new_one(
    env: str, database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.QA)
    reset = _run("user", "reset-password", user.username, "--reason", "forgotten, asked in person")
    assert reset.exit_code == 0, reset.output
    temporary = reset.output.strip().splitlines()[-1]
    with database.engine.connect() as connection:
        must, entry = connection.execute(text(
            "SELECT u.must_change_password, (SELECT new_values FROM audit_entry WHERE action = 'user.password_reset') "
            "FROM app_user u WHERE u.username = :u"), {"u": user.username}).one()
    assert must and temporary not in entry and json.loads(entry)["must_change_password"] is True


def test_user_create_refuses_a_common_password_with_the_reason(env: str) -> None:
    refused = _run("user", "create", "ann", "--name", "Ann", "--role", "qa", "--password-stdin",
                   stdin="Password12345!\n")
    assert refused.exit_code == 1 and "common" in refused.output


def test_token_issue_with_roles_station_and_days_then_list_and_revoke(
    env: str, database: Database, settings: Settings
) -> None:
    both = make_user(database, Role.OPERATOR, Role.QC_ANALYST)
    issued = _run("user", "token", both.username, "--name", "bench-3", "--role", "operator", "--station", "bench-3",
                  "--days", "30")
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip()
    assert token.startswith("bt_") and _me(settings, database, token) == 200
    listed = _run("user", "token", "list", "--user", both.username)
    assert listed.exit_code == 0 and "bench-3" in listed.output and "active" in listed.output
    line = next(row for row in listed.output.splitlines() if " bench-3 " in row)
    token_id = line.split()[0]
    revoked = _run("user", "token", "revoke", token_id, "--reason", "scanner lost")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert _me(settings, database, token) == 401
    assert "revoked" in _run("user", "token", "list", "--state", "revoked").output
    assert _run("user", "token", "revoke", token_id).exit_code == 2  # --reason is required
