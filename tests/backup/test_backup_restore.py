"""Backup and restore: the restored database holds exactly the audit chain the backup recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from batchtrack.audit import keys
from batchtrack.audit import service as audit_service
from batchtrack.backup import manifest as manifests
from batchtrack.backup import service as backup_service
from batchtrack.backup.errors import BackupRefused
from batchtrack.cli import main as cli
from batchtrack.config import get_settings
from batchtrack.db import Database, make_engine

Append = Callable[[int, str], None]
# One key for the module's backups: what a signed manifest needs (the command-line test makes its own).
SIGNER = keys.generate()
KNOWN = {SIGNER.public.id: SIGNER.public}


def _chain_of(url: str) -> audit_service.chain.VerifyResult:
    database = Database(make_engine(url))
    try:
        return audit_service.verify_chain(database, jobs=1)
    finally:
        database.dispose()


def _entity_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text("SELECT entity_id FROM audit_entry")).scalars())
    finally:
        engine.dispose()


def test_a_restore_brings_back_the_chain_as_it_was_at_backup_time(
    database: Database, db_url: str, empty_target_url: str, append_entries: Append, tmp_path: Path
) -> None:
    append_entries(5, "before")
    at_backup = audit_service.verify_chain(database, jobs=1)
    out = tmp_path / "backups" / "batchtrack.backup"
    made = backup_service.create_backup(database=database, out=out, signer=SIGNER)
    assert (made.audit_count, made.audit_head_hash, made.audit_chain_ok) == (at_backup.count, at_backup.head_hash, True)
    assert made.engine == database.engine.dialect.name and made.schema_revision
    assert json.loads(manifests.path_for(out).read_text())["sha256"] == manifests.sha256_of(out)
    append_entries(3, "after")  # made after the backup: a restore must not bring them

    report = backup_service.restore_backup(database_url=empty_target_url, backup=out, known_keys=KNOWN)
    assert report.matches and report.restored == at_backup
    assert _chain_of(empty_target_url) == at_backup
    restored_ids = _entity_ids(empty_target_url)
    assert {f"before-{i}" for i in range(5)} <= restored_ids and not any(i.startswith("after") for i in restored_ids)
    assert _chain_of(db_url).count == at_backup.count + 3  # the source is untouched by the restore


def test_a_damaged_backup_is_refused_and_the_target_left_untouched(
    database: Database, db_url: str, append_entries: Append, tmp_path: Path
) -> None:
    append_entries(4, "kept")
    out = tmp_path / "batchtrack.backup"
    backup_service.create_backup(database=database, out=out, signer=SIGNER)
    append_entries(2, "later")
    before = audit_service.verify_chain(database, jobs=1)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    out.write_bytes(bytes(data))
    database.dispose()
    with pytest.raises(BackupRefused, match="damaged"):
        backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN, force=True)
    assert _chain_of(db_url) == before


def test_a_backup_without_its_manifest_or_for_another_engine_is_refused(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "batchtrack.backup"
    backup_service.create_backup(database=database, out=out, signer=SIGNER)
    manifest_path = manifests.path_for(out)
    values = json.loads(manifest_path.read_text())
    values["engine"] = "oracle"
    manifest_path.write_text(json.dumps(values))
    with pytest.raises(BackupRefused, match="does not verify"):  # edited after signing
        backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN, force=True)
    manifests.write(out, manifests.signed(manifests.Manifest(**values), SIGNER))  # signed as an oracle backup
    with pytest.raises(BackupRefused, match="oracle backup"):
        backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN, force=True)
    manifest_path.unlink()
    with pytest.raises(BackupRefused, match="no manifest"):
        backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN, force=True)
    with pytest.raises(BackupRefused, match="already exists"):
        backup_service.create_backup(database=database, out=out, signer=SIGNER)


def test_a_restore_onto_a_database_with_contents_needs_force(
    database: Database, db_url: str, append_entries: Append, tmp_path: Path
) -> None:
    append_entries(3, "backed-up")
    out = tmp_path / "batchtrack.backup"
    made = backup_service.create_backup(database=database, out=out, signer=SIGNER)
    append_entries(2, "later")
    before = audit_service.verify_chain(database, jobs=1)
    database.dispose()
    with pytest.raises(BackupRefused, match="--force"):
        backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN)
    assert _chain_of(db_url) == before
    report = backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN, force=True)
    assert report.matches and report.restored.head_hash == made.audit_head_hash
    assert _chain_of(db_url).count == 3


def test_sqlite_refuses_to_replace_a_database_in_use(
    database: Database, db_url: str, is_postgres: bool, tmp_path: Path
) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL restores in one transaction that waits for (or times out on) other sessions' locks")
    out = tmp_path / "batchtrack.backup"
    backup_service.create_backup(database=database, out=out, signer=SIGNER)
    with database.engine.connect() as connection:  # as a running server holds it
        connection.execute(text("SELECT 1"))
        with pytest.raises(BackupRefused, match="in use"):
            backup_service.restore_backup(database_url=db_url, backup=out, known_keys=KNOWN, force=True)


def test_the_commands_back_up_and_restore_and_print_both_hashes(
    database: Database, db_url: str, empty_target_url: str, append_entries: Append, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    append_entries(4, "cli")
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "key", "create"]).exit_code == 0
    out = tmp_path / "cli.backup"
    made = runner.invoke(cli, ["backup", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "manifest signed with key" in made.output
    # The backup's own checkpoint is the newest entry of the chain it holds.
    assert "audit chain in the backup: 5 entries" in made.output
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", empty_target_url)
    get_settings.cache_clear()
    restored = runner.invoke(cli, ["restore", "--from", str(out)])
    assert restored.exit_code == 0, restored.output
    assert "manifest head: " in restored.output and "(5 entries)" in restored.output
    assert "the backup contains every checkpointed entry" in restored.output
    assert "restore recorded" in restored.output
    again = runner.invoke(cli, ["restore", "--from", str(out)])
    get_settings.cache_clear()
    assert again.exit_code == 1 and "--force" in again.output
    for command in (["backup", "--help"], ["restore", "--help"], ["audit", "verify", "--help"]):
        assert len(runner.invoke(cli, command).output.splitlines()) > 5
