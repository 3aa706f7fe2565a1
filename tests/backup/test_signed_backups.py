"""Backups that cannot be forged: a signed manifest, and restores compared with the checkpoint log."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from batchtrack import migrate
from batchtrack.audit import keys
from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.backup import manifest as manifests
from batchtrack.backup import service as backup_service
from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database, make_engine

Append = Callable[[int, str], None]
Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """run(*arguments, database_url=...): the `batchtrack` command on this test's installation."""
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()

    def invoke(*arguments: str, database_url: str = db_url) -> Result:
        monkeypatch.setenv("BATCHTRACK_DATABASE_URL", database_url)
        get_settings.cache_clear()
        return runner.invoke(cli, list(arguments))

    yield invoke
    get_settings.cache_clear()


def test_a_truncated_backup_with_its_manifest_rewritten_is_refused(
    run: Run, append_entries: Append, tmp_path: Path, empty_target_url: str
) -> None:
    assert run("audit", "key", "create").exit_code == 0
    append_entries(6, "kept")
    out = tmp_path / "site.backup"
    assert run("backup", "--out", str(out)).exit_code == 0
    # The forger truncates the file and rewrites everything the manifest says of it, but cannot sign.
    out.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    values = json.loads(manifests.path_for(out).read_text())
    values.update(sha256=manifests.sha256_of(out), size_bytes=out.stat().st_size, audit_count=3)
    manifests.path_for(out).write_text(json.dumps(values))
    refused = run("restore", "--from", str(out), database_url=empty_target_url)
    assert refused.exit_code == 1 and "signature does not verify" in refused.output, refused.output
    # Dropping the signature does not help either.
    unsigned = dataclasses.replace(manifests.Manifest(**values), signature=None, key_id=None)
    manifests.write(out, unsigned)
    refused = run("restore", "--from", str(out), database_url=empty_target_url)
    assert refused.exit_code == 1 and "not signed" in refused.output, refused.output


def test_a_restore_of_an_older_backup_says_how_many_checkpointed_entries_it_lacks(
    run: Run, append_entries: Append, tmp_path: Path, empty_target_url: str
) -> None:
    assert run("audit", "key", "create").exit_code == 0
    append_entries(4, "before")
    out = tmp_path / "older.backup"
    assert run("backup", "--out", str(out)).exit_code == 0  # the chain: 4 entries and the backup's checkpoint (5)
    append_entries(10, "after")
    assert run("audit", "checkpoint").exit_code == 0  # vouches for entries 6 to 16 (the 16th: its own record)
    restored = run("restore", "--from", str(out), database_url=empty_target_url)
    assert restored.exit_code == 0, restored.output
    assert "THE BACKUP DOES NOT CONTAIN 11 CHECKPOINTED ENTRIES (#6 to #16" in restored.output
    assert "restore recorded" in restored.output
    # The restored chain, judged against the log with the restore in it, verifies.
    verified = run("audit", "verify", "--chain-only", database_url=empty_target_url)
    assert verified.exit_code == 0, verified.output
    assert "OK: 7 entries" in verified.output  # 5 restored, the restore's entry and its checkpoint


def test_a_signed_backup_of_a_chain_that_contradicts_the_log_fails_after_restore(
    run: Run, append_entries: Append, settings: Settings, tmp_path: Path, empty_target_url: str
) -> None:
    assert run("audit", "key", "create").exit_code == 0
    append_entries(3, "this site")
    assert run("audit", "checkpoint").exit_code == 0  # entry #4 of this chain, in the log
    other = Database(make_engine(empty_target_url))  # another chain, backed up with this installation's key
    migrate.upgrade(other.engine)
    with other.transaction() as session:
        for i in range(6):
            audit_service.record(session=session, actor=SYSTEM, action="test.other", entity_type="test",
                                 entity_id=i)
    out = tmp_path / "other.backup"
    backup_service.create_backup(database=other, out=out, signer=keys.load(settings.checkpoint_key_path))
    other.dispose()
    restored = run("restore", "--from", str(out), "--force", database_url=empty_target_url)
    assert restored.exit_code == 1, restored.output
    assert "MISMATCH with the checkpoint log" in restored.output and "entry #4" in restored.output
