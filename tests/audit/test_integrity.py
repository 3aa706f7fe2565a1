"""An inspector's red team with write access to the database (and, where said, to the checkpoint files): every
change is named by `batchtrack audit verify` with exit status 1, while an untouched installation passes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tampering import guards_off

from batchtrack.audit import anchoring, chain, keys
from batchtrack.audit import service as audit_service
from batchtrack.audit.checkpoint_files import LOG_NAME
from batchtrack.auth.principal import SYSTEM
from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role

from builders import SeededLot, make_user, seed_lot
from coi_report_builders import hand_over

ENTRIES = 130


@pytest.fixture
def verify(settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """verify(*options): `batchtrack audit verify` on this test's database, key and checkpoint folder."""
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *options: runner.invoke(cli, ["audit", "verify", *options])
    get_settings.cache_clear()


@pytest.fixture
def anchor(settings: Settings, database: Database) -> anchoring.Anchor:
    """The installation's anchor, with its signing key created."""
    keys.create(settings.checkpoint_key_path)
    return anchoring.Anchor.from_settings(settings, database)


@pytest.fixture
def checkpointed(database: Database, anchor: anchoring.Anchor) -> anchoring.Anchor:
    """ENTRIES entries appended, a checkpoint in the middle and one of the head (as at a release or infusion)."""
    _append(database, 60)
    anchor.checkpoint("test: middle")
    _append(database, ENTRIES - 62)
    anchor.checkpoint("test: head")
    return anchor


def _append(database: Database, count: int) -> None:
    with database.transaction() as session:
        for i in range(count):
            audit_service.record(session=session, actor=SYSTEM, action="test.event", entity_type="test",
                                 entity_id=i, new={"i": i}, reason="")


def _unguarded(database: Database, is_postgres: bool, work: Callable[[Session], None]) -> None:
    """Run `work` with every trigger off, as a database superuser (PostgreSQL) or file owner (SQLite) can."""
    with database.transaction() as session:
        guards_off(session)
        work(session)


def _rows(session: Session, low: int) -> list[dict[str, object]]:
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    result = session.execute(select(table).where(table.c.seq >= low).order_by(table.c.seq))
    return [dict(row._mapping) for row in result]


def _rewrite(session: Session, rows: list[dict[str, object]], prev_hash: str) -> None:
    """Write rows back with every hash recomputed by the shipped hash function, from `prev_hash` on."""
    for row in rows:
        content = chain.EntryContent(**{**{k: v for k, v in row.items() if k != "hash"}, "prev_hash": prev_hash})
        prev_hash = chain.entry_hash(content)
        session.execute(text("DELETE FROM audit_entry WHERE seq = :seq"), {"seq": row["seq"]})
        session.execute(text(
            "INSERT INTO audit_entry (seq, occurred_at, actor_id, actor_name, action, entity_type, entity_id, "
            "old_values, new_values, reason, prev_hash, hash) VALUES (:seq, :occurred_at, :actor_id, :actor_name, "
            ":action, :entity_type, :entity_id, :old_values, :new_values, :reason, :prev_hash, :hash)"),
            {**chain.content_fields(content), "hash": prev_hash})


def _failed(result: Result, *named: str) -> None:
    assert result.exit_code == 1, result.output
    for words in named:
        assert words in result.output, result.output


def test_an_untouched_installation_passes(checkpointed: anchoring.Anchor, verify: Callable[..., Result]) -> None:
    result = verify()
    assert result.exit_code == 0, result.output
    assert f"OK: {ENTRIES} entries" in result.output and "checkpoints: 2 standing" in result.output


@pytest.mark.parametrize("cut", [1, 5, 50])
def test_the_last_entries_deleted_are_named(
    cut: int, checkpointed: anchoring.Anchor, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    _unguarded(database, is_postgres, lambda s: s.execute(text("DELETE FROM audit_entry WHERE seq > :n"),
                                                         {"n": ENTRIES - cut}))
    _failed(verify(), "checkpoint 3", f"{cut} checkpointed entries are missing")


def test_the_table_emptied_is_named(
    checkpointed: anchoring.Anchor, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    statement = "TRUNCATE audit_entry" if is_postgres else "DELETE FROM audit_entry"
    _unguarded(database, is_postgres, lambda s: s.execute(text(statement)))
    _failed(verify(), "chain ends at entry #0", f"{ENTRIES} checkpointed entries are missing")


def test_the_chain_rewritten_from_entry_100_with_recomputed_hashes_is_named(
    checkpointed: anchoring.Anchor, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    def rewrite(session: Session) -> None:
        rows = _rows(session, 100)
        rows[0]["reason"] = "quietly changed"
        _rewrite(session, rows, str(_rows(session, 99)[0]["hash"]))

    _unguarded(database, is_postgres, rewrite)
    _failed(verify(), "checkpoint 3", f"entry #{ENTRIES}", "the chain was rewritten")


def test_two_entries_swapped_are_named(
    checkpointed: anchoring.Anchor, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    def swap(session: Session) -> None:
        rows = _rows(session, 20)
        first, second = rows[0], rows[1]
        swapped = [{**second, "seq": 20}, {**first, "seq": 21}, *rows[2:]]
        _rewrite(session, swapped, str(_rows(session, 19)[0]["hash"]))

    _unguarded(database, is_postgres, swap)
    _failed(verify(), "checkpoint 2", "entry #61", "the chain was rewritten")


def test_two_entries_swapped_without_recomputing_is_named_at_the_first(
    checkpointed: anchoring.Anchor, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    def swap(session: Session) -> None:
        session.execute(text("UPDATE audit_entry SET seq = -20 WHERE seq = 20"))
        session.execute(text("UPDATE audit_entry SET seq = 20 WHERE seq = 21"))
        session.execute(text("UPDATE audit_entry SET seq = 21 WHERE seq = -20"))

    _unguarded(database, is_postgres, swap)
    _failed(verify(), "chain: entry #20")


def _log(settings: Settings) -> Path:
    return settings.checkpoint_folders[0] / LOG_NAME


def test_a_checkpoint_file_edited_is_named(
    checkpointed: anchoring.Anchor, settings: Settings, verify: Callable[..., Result]
) -> None:
    lines = _log(settings).read_bytes().splitlines()
    fields = json.loads(lines[1])
    fields["seq"] -= 1  # vouch for one entry less, keeping the old signature
    lines[1] = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    _log(settings).write_bytes(b"\n".join(lines) + b"\n")
    _failed(verify(), "line 2", "signature does not verify")


def test_the_newest_checkpoint_deleted_is_named(
    checkpointed: anchoring.Anchor, settings: Settings, verify: Callable[..., Result]
) -> None:
    lines = _log(settings).read_bytes().splitlines()
    _log(settings).write_bytes(b"\n".join(lines[:-1]) + b"\n")
    _failed(verify(), "checkpoint 3", f"recorded in the chain at entry #{ENTRIES}", "missing from the log")


def test_a_line_removed_from_the_middle_of_the_log_is_named(
    checkpointed: anchoring.Anchor, settings: Settings, verify: Callable[..., Result]
) -> None:
    lines = _log(settings).read_bytes().splitlines()
    _log(settings).write_bytes(b"\n".join([lines[0], lines[2]]) + b"\n")
    _failed(verify(), "line 2", "numbered 3")


def test_incremental_verification_walks_from_the_newest_checkpoint(
    checkpointed: anchoring.Anchor, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    _append(database, 7)
    result = verify("--since-checkpoint")
    assert result.exit_code == 0, result.output
    assert f"walked from checkpointed entry #{ENTRIES}" in result.output
    assert f"OK: {ENTRIES + 7} entries" in result.output
    _unguarded(database, is_postgres, lambda s: s.execute(
        text("UPDATE audit_entry SET reason = 'changed' WHERE seq = :n"), {"n": ENTRIES + 3}))
    _failed(verify("--since-checkpoint"), f"chain: entry #{ENTRIES + 3}")


@pytest.fixture
def lot_installation(database: Database, settings: Settings, anchor: anchoring.Anchor) -> SeededLot:
    """A subject enrolled with a signed eligibility, the aspirate collected and received (the lot opened), its
    bag handed over, then a checkpoint."""
    lot = seed_lot(database, settings)
    with database.transaction(write=False) as session:
        bag = session.execute(text("SELECT min(id) FROM container WHERE din = :din"), {"din": lot.din}).scalar_one()
    hand_over(database, bag, make_user(database, Role.OPERATOR), make_user(database, Role.COURIER), "cold room",
              4.0)
    anchor.checkpoint("test")
    return lot


def test_an_untouched_lot_passes_every_check(lot_installation: SeededLot, verify: Callable[..., Result]) -> None:
    result = verify()
    assert result.exit_code == 0, result.output
    assert "signatures, states and custody: checked" in result.output


@pytest.mark.parametrize("column, value", [
    ("printed_name", "'Someone Else'"), ("meaning", "'reviewed'"), ("signer_id", "signer_id + 1"),
    ("content_hash", "'" + "0" * 64 + "'"),
])
def test_a_signature_column_edited_is_named(
    column: str, value: str, lot_installation: SeededLot, database: Database, is_postgres: bool,
    verify: Callable[..., Result]
) -> None:
    _unguarded(database, is_postgres, lambda s: s.execute(text(f"UPDATE signature SET {column} = {value}")))
    _failed(verify(), "signature: signature ")


def test_a_lot_state_edited_is_named(
    lot_installation: SeededLot, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    _unguarded(database, is_postgres, lambda s: s.execute(text("UPDATE lot SET state = 'released'")))
    _failed(verify(), f"state: lot {lot_installation.din}: state is 'released'")


def test_a_custody_event_deleted_is_named(
    lot_installation: SeededLot, database: Database, is_postgres: bool, verify: Callable[..., Result]
) -> None:
    def delete_first(session: Session) -> None:
        first = session.execute(text("SELECT min(id) FROM custody_event")).scalar_one()
        session.execute(text("DELETE FROM custody_event WHERE id = :id"), {"id": first})

    _unguarded(database, is_postgres, delete_first)
    _failed(verify(), "custody: custody event ", "there is no such custody event")


def test_the_api_reports_every_finding_to_qa(
    lot_installation: SeededLot, database: Database, is_postgres: bool,
    as_role: Callable[..., tuple[TestClient, object]]
) -> None:
    client, _ = as_role(Role.QA)
    clean = client.get("/api/v1/audit-entries/verify").json()
    assert clean["ok"] is True and clean["findings"] == [] and clean["checkpoints"] == 1
    _unguarded(database, is_postgres, lambda s: s.execute(text("UPDATE lot SET state = 'released'")))
    report = client.get("/api/v1/audit-entries/verify").json()
    assert report["ok"] is False and report["broken_seq"] is None  # the chain itself is intact
    assert [(f["check"], f["subject"]) for f in report["findings"]] == [("state", f"lot {lot_installation.din}")]
