"""The `batchtrack` command: users, audit verification, schema checks, the demo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from batchtrack.cli import main as cli
from batchtrack.config import get_settings
from batchtrack.db import Database, make_engine
from batchtrack.demo.walkthrough import DEMO_SUBJECT, demo_password


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command at the test's database."""
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    # What the demo command would set for its site (Korean, Seoul time), set here so that it is undone after the
    # test: the command sets only what is unset, and tests after it would otherwise read Korean pages.
    monkeypatch.setenv("BATCHTRACK_DEFAULT_LANGUAGE", "ko")
    monkeypatch.setenv("BATCHTRACK_DISPLAY_TIMEZONE", "Asia/Seoul")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_help_explains_each_command() -> None:
    runner = CliRunner()
    for command in ([], ["serve"], ["migrate"], ["demo"], ["user", "create"], ["user", "token"],
                    ["audit", "verify"], ["audit", "checkpoint"], ["audit", "key", "create"],
                    ["audit", "key", "rotate"], ["audit", "key", "export"], ["backup"], ["restore"]):
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, command
        assert len(result.output.splitlines()) > 3


def test_user_create_reads_the_password_from_stdin_never_from_an_argument(env: str, database: Database) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "create", "mina", "--name", "Mina Park", "--role", "qa",
                                 "--password-stdin"], input="a-long-enough-secret\n")
    assert result.exit_code == 0, result.output
    assert "mina created" in result.output
    refused = runner.invoke(cli, ["user", "create", "joe", "--name", "Joe", "--role", "qa",
                                  "--password", "in-shell-history"])
    assert refused.exit_code != 0
    weak = runner.invoke(cli, ["user", "create", "ann", "--name", "Ann", "--role", "qa", "--password-stdin"],
                         input="short\n")
    assert weak.exit_code == 1 and "at least 12" in weak.output
    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM app_user WHERE username = 'mina'")).scalar()
    assert stored.startswith("$argon2") and "a-long-enough-secret" not in stored


def test_audit_verify_reports_ok_then_names_the_first_broken_entry(
    env: str, database: Database, is_postgres: bool
) -> None:
    runner = CliRunner()
    for name in ("u1", "u2", "u3"):
        assert runner.invoke(cli, ["user", "create", name, "--name", name.upper(), "--role", "nurse",
                                   "--password-stdin"], input="another-long-secret\n").exit_code == 0
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "OK: 3 entries, head " in ok.output
    with database.transaction() as session:
        if is_postgres:
            session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        else:
            session.execute(text("DROP TRIGGER audit_entry_no_update"))
        session.execute(text("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 2"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "entry #2" in broken.output


def test_serve_refuses_an_out_of_date_schema_and_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.sqlite3"
    make_engine(f"sqlite:///{empty}").dispose()
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", f"sqlite:///{empty}")
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "batchtrack migrate" in result.output


def test_serve_refuses_a_placeholder_secret_in_production(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "production")
    monkeypatch.delenv("BATCHTRACK_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1 and "BATCHTRACK_SECRET_KEY" in result.output


def test_production_refuses_to_serve_without_a_checkpoint_signing_key(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchtrack.config import Settings
    from batchtrack.main import InsecureSettings, create_app

    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "production")
    monkeypatch.setenv("BATCHTRACK_SECRET_KEY", "a-production-secret-" + "x" * 32)
    get_settings.cache_clear()
    runner = CliRunner()
    refused = runner.invoke(cli, ["serve"])
    assert refused.exit_code == 1 and "checkpoint signing key" in refused.output, refused.output
    with pytest.raises(InsecureSettings, match="audit checkpoints cannot be signed"):
        create_app(Settings())
    created = runner.invoke(cli, ["audit", "key", "create"])
    assert created.exit_code == 0 and "BEGIN PUBLIC KEY" in created.output and "PRIVATE" not in created.output
    create_app(Settings())  # with its key, production serves


def test_migrate_builds_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "production")
    get_settings.cache_clear()
    runner = CliRunner()
    first = runner.invoke(cli, ["migrate"])
    second = runner.invoke(cli, ["migrate"])
    get_settings.cache_clear()
    assert first.exit_code == 0 and "empty ->" in first.output
    assert second.exit_code == 0 and "already current" in second.output


def test_demo_creates_the_demo_lot_and_is_safe_to_run_twice(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "demo")
    get_settings.cache_clear()
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    # The first DIN of the year its collection was scheduled in (weeks before today: last year's, early in January).
    assert demo_password("qa") in first.output and re.search(r"/lots/W0000\d\d000001\b", first.output)
    second = runner.invoke(cli, ["demo", "--no-serve"])
    assert second.exit_code == 0 and "already present" in second.output
    verify = runner.invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0 and "\nOK: " in verify.output


def test_demo_carries_its_lot_from_expansion_through_release_to_the_infusion(
    env: str, database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "demo")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "formulation" in result.output
    # The demo's other therapies stand at earlier stages: these are the fully built one's (its first subject's).
    of_lot = {"subject": DEMO_SUBJECT}
    lot_id = ("(SELECT lot.id FROM lot JOIN therapy ON therapy.id = lot.therapy_id JOIN recipient"
              " ON recipient.id = therapy.recipient_id WHERE recipient.subject_code = :subject)")
    with database.engine.connect() as connection:
        steps = dict(connection.execute(text(
            f"SELECT step_code, state FROM process_step WHERE lot_id = {lot_id}"), of_lot).all())
        finals = connection.execute(text(
            "SELECT division, status FROM container WHERE kind = 'final_product'"
            f" AND din = (SELECT din FROM lot WHERE id = {lot_id}) ORDER BY division"), of_lot).all()
        lot_state = connection.execute(text(f"SELECT state FROM lot WHERE id = {lot_id}"), of_lot).scalar_one()
        materials_used = connection.execute(text("SELECT count(*) FROM material_use")).scalar_one()
        unverified = connection.execute(text(
            "SELECT count(*) FROM label WHERE status = 'printed'")).scalar_one()
        decisions = connection.execute(text(
            f"SELECT decision FROM release_decision WHERE lot_id = {lot_id}"), of_lot).scalars().all()
        results = connection.execute(text(f"SELECT count(*) FROM qc_result WHERE lot_id = {lot_id}"),
                                     of_lot).scalar_one()
        therapy_state = connection.execute(text(
            f"SELECT state FROM therapy WHERE id = (SELECT therapy_id FROM lot WHERE id = {lot_id})"),
            of_lot).scalar_one()
        infusions = connection.execute(text(
            "SELECT first_signature_id, second_signature_id FROM infusion")).all()
    assert steps == {"isolation": "verified", "passage_1": "completed", "passage_2": "completed",
                     "harvest": "verified", "formulation": "verified"}
    assert [tuple(row) for row in finals] == [("A0", "infused")]
    assert lot_state == "infused" and decisions == ["released_pending_sterility"]
    assert results == 17 and therapy_state == "completed"
    assert len(infusions) == 1 and infusions[0][0] != infusions[0][1]
    assert "/report" in result.output
    assert materials_used >= 15 and unverified == 0
    assert len(list((tmp_path / "demo-printer").glob("*.zpl"))) >= 1
