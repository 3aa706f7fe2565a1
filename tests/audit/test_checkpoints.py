"""Checkpoints of the audit chain: the signing key, the log's lines, when checkpoints are written, rotation, and
what an inspector can verify with standard tools."""

from __future__ import annotations

import base64
import json
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from batchtrack.audit import anchoring, checkpoint_log, keys, verdict
from batchtrack.audit import service as audit_service
from batchtrack.audit.checkpoint_files import LOG_NAME, CheckpointFiles, LogUnavailable
from batchtrack.auth.principal import SYSTEM
from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database, checkpoint_after_commit


def _append(database: Database, count: int) -> None:
    with database.transaction() as session:
        for i in range(count):
            audit_service.record(session=session, actor=SYSTEM, action="test.event", entity_type="test",
                                 entity_id=i, new={"i": i})


def _anchor(settings: Settings, database: Database, **options: int) -> anchoring.Anchor:
    if not settings.checkpoint_key_path.exists():
        keys.create(settings.checkpoint_key_path)
    return anchoring.Anchor(database, key_path=settings.checkpoint_key_path, folders=settings.checkpoint_folders,
                            **options)


def test_the_key_file_is_owner_only_never_overwritten_and_never_shown(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.pem"
    made = keys.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "PRIVATE" not in repr(made) and made.public.id in repr(made)
    with pytest.raises(keys.KeyProblem, match="never overwritten"):
        keys.create(path)
    assert keys.load(path).public == made.public
    path.chmod(0o644)
    with pytest.raises(keys.KeyProblem, match="read by others"):
        keys.load(path)


def test_a_log_of_a_key_and_checkpoints_reads_back_sound(settings: Settings, database: Database) -> None:
    anchor = _anchor(settings, database)
    _append(database, 3)
    first = anchor.checkpoint("test")
    _append(database, 2)
    second = anchor.checkpoint("test")
    assert first is not None and second is not None
    assert (first.n, first.seq, second.n, second.seq) == (2, 4, 3, 7)  # line 1 is the key; each covers its record
    reading, findings = CheckpointFiles(settings.checkpoint_folders).read()
    assert findings == [] and reading.lines == 3 and reading.checkpoints == [first, second]
    assert audit_service.verify_chain(database).head_hash == second.hash


def test_every_folder_holds_the_same_log_and_a_lagging_copy_catches_up(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    folders = [tmp_path / "a", tmp_path / "b"]
    keys.create(settings.checkpoint_key_path)
    anchor = anchoring.Anchor(database, key_path=settings.checkpoint_key_path, folders=folders)
    anchor.checkpoint("test")
    assert (folders[0] / LOG_NAME).read_bytes() == (folders[1] / LOG_NAME).read_bytes()
    (folders[1] / LOG_NAME).unlink()  # a volume that was unavailable
    _, findings = CheckpointFiles(folders).read()
    assert [f.problem for f in findings] == [f"lacks lines 1 to 2 that the copy in {folders[0] / LOG_NAME} holds"]
    anchor.checkpoint("test")
    assert (folders[0] / LOG_NAME).read_bytes() == (folders[1] / LOG_NAME).read_bytes()
    assert CheckpointFiles(folders).read()[1] == []


def test_copies_that_disagree_stop_new_checkpoints(settings: Settings, database: Database, tmp_path: Path) -> None:
    folders = [tmp_path / "a", tmp_path / "b"]
    keys.create(settings.checkpoint_key_path)
    anchor = anchoring.Anchor(database, key_path=settings.checkpoint_key_path, folders=folders)
    anchor.checkpoint("test")
    (folders[1] / LOG_NAME).write_bytes(b'{"forged": true}\n')
    with pytest.raises(LogUnavailable, match="disagree"):
        anchor.checkpoint("test")


def test_a_checkpoint_whose_line_was_not_written_is_completed_by_the_next(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor = _anchor(settings, database)
    anchor.checkpoint("test")
    real_append = CheckpointFiles.append
    monkeypatch.setattr(CheckpointFiles, "append", lambda self, raw: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        anchor.checkpoint("test")  # its entry is committed, its line is not
    monkeypatch.setattr(CheckpointFiles, "append", real_append)
    found = verdict.verify_all(database, folders=settings.checkpoint_folders, records=False)
    assert [f.subject for f in found.findings] == ["checkpoint 3"]
    anchor.checkpoint("test")
    found = verdict.verify_all(database, folders=settings.checkpoint_folders, records=False)
    assert found.ok and found.checkpoints == 3


def test_checkpoints_fall_due_by_entries_or_by_time() -> None:
    assert not anchoring.due(entries_since=0, seconds_since=None, every_entries=10, every_seconds=60)
    assert anchoring.due(entries_since=10, seconds_since=1, every_entries=10, every_seconds=60)
    assert not anchoring.due(entries_since=9, seconds_since=59, every_entries=10, every_seconds=60)
    assert anchoring.due(entries_since=1, seconds_since=60, every_entries=10, every_seconds=60)
    assert anchoring.due(entries_since=1, seconds_since=None, every_entries=0, every_seconds=60)
    assert not anchoring.due(entries_since=500, seconds_since=9e9, every_entries=0, every_seconds=0)


def test_the_timer_writes_a_checkpoint_after_n_entries_and_not_before(settings: Settings, database: Database) -> None:
    anchor = _anchor(settings, database, every_entries=5)
    _append(database, 4)
    anchor.tick()
    assert not CheckpointFiles(settings.checkpoint_folders).exists()
    _append(database, 1)
    anchor.tick()
    reading, _ = CheckpointFiles(settings.checkpoint_folders).read()
    assert [c.seq for c in reading.checkpoints] == [6]
    anchor.tick()  # nothing new but its own record: not due
    assert CheckpointFiles(settings.checkpoint_folders).read()[0].lines == 2


def test_a_committed_decision_is_checkpointed_and_a_rolled_back_one_is_not(
    settings: Settings, database: Database
) -> None:
    database.checkpoint = _anchor(settings, database).checkpoint_quietly
    with pytest.raises(RuntimeError), database.transaction() as session:
        audit_service.record(session=session, actor=SYSTEM, action="test.release", entity_type="lot", entity_id=1)
        checkpoint_after_commit(session, "release decision")
        raise RuntimeError("refused")
    assert not CheckpointFiles(settings.checkpoint_folders).exists()
    with database.transaction() as session:
        audit_service.record(session=session, actor=SYSTEM, action="test.release", entity_type="lot", entity_id=1)
        checkpoint_after_commit(session, "release decision")
    reading, _ = CheckpointFiles(settings.checkpoint_folders).read()
    assert [c.seq for c in reading.checkpoints] == [2]


def test_a_printout_reuses_the_newest_checkpoint_while_the_chain_has_not_moved(
    settings: Settings, database: Database
) -> None:
    anchor = _anchor(settings, database)
    _append(database, 2)
    first = anchor.for_printout()
    assert first == anchoring.Anchored(3, audit_service.verify_chain(database).head_hash, 2)
    assert anchor.for_printout() == first
    assert first.text() == f"Audit trail through entry 3, hash {first.hash}, checkpoint 2"
    _append(database, 1)
    assert anchor.for_printout().checkpoint == 3


def test_without_a_key_a_printout_says_it_is_not_checkpointed(settings: Settings, database: Database) -> None:
    anchor = anchoring.Anchor.from_settings(settings, database)
    _append(database, 2)
    anchored = anchor.for_printout()
    assert anchored.checkpoint is None and "not checkpointed" in anchored.text()
    assert not CheckpointFiles(settings.checkpoint_folders).exists()


def test_rotation_keeps_old_checkpoints_verifiable_and_the_old_key_destroyed(
    settings: Settings, database: Database
) -> None:
    from batchtrack.audit import key_rotation

    anchor = _anchor(settings, database)
    anchor.checkpoint("before rotation")
    old, new = key_rotation.rotate(settings.checkpoint_key_path, settings.checkpoint_folders)
    assert keys.load(settings.checkpoint_key_path).public == new
    assert not list(settings.checkpoint_key_path.parent.glob("*.retiring"))
    anchor.checkpoint("after rotation")
    reading, findings = CheckpointFiles(settings.checkpoint_folders).read()
    assert findings == [] and set(reading.keys) == {old.id, new.id} and reading.current_key == new.id
    assert [c.key_id for c in reading.checkpoints] == [old.id, new.id]
    assert verdict.verify_all(database, folders=settings.checkpoint_folders, records=False).ok


def test_a_line_signed_by_a_key_not_in_force_is_refused(settings: Settings, database: Database) -> None:
    anchor = _anchor(settings, database)
    anchor.checkpoint("test")
    path = settings.checkpoint_folders[0] / LOG_NAME
    lines = path.read_bytes().splitlines()
    reading = checkpoint_log.read(lines, where="log")
    intruder = keys.generate()
    forged = checkpoint_log.checkpoint_line(n=3, prev=reading.last_hash, at=datetime.now(UTC), signer=intruder,
                                            seq=1, entry_hash="0" * 64, reason="forged")
    judged = checkpoint_log.read([*lines, forged], where="log")
    assert [f.problem for f in judged.findings] == [
        f"signed by key {intruder.public.id}, but key {reading.current_key} is in force"]
    assert judged.lines == 2  # nothing after the first unsound line is trusted


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_an_inspector_verifies_a_checkpoint_with_openssl(
    settings: Settings, database: Database, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor = _anchor(settings, database)
    made = anchor.checkpoint("for the inspector")
    assert made is not None
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    exported = CliRunner().invoke(cli, ["audit", "key", "export", "--out", str(tmp_path / "public")])
    get_settings.cache_clear()
    assert exported.exit_code == 0 and "BEGIN PUBLIC KEY" in exported.output
    # What the README shows: the line's message and signature as files, then openssl.
    line = (settings.checkpoint_folders[0] / LOG_NAME).read_bytes().splitlines()[made.n - 1]
    fields = json.loads(line)
    (tmp_path / "message").write_bytes(checkpoint_log.message(fields))
    (tmp_path / "signature").write_bytes(base64.b64decode(fields["signature"]))
    public = tmp_path / "public" / f"{fields['key_id']}.pem"
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin",
               "-in", str(tmp_path / "message"), "-sigfile", str(tmp_path / "signature")]
    assert "Signature Verified Successfully" in subprocess.run(command, capture_output=True, text=True).stdout
    (tmp_path / "message").write_bytes(checkpoint_log.message({**fields, "seq": fields["seq"] - 1}))
    assert subprocess.run(command, capture_output=True, text=True).returncode != 0
