"""A signature's own hash covers every column of its row; the database refuses to change or remove a signature
or any other write-once record; signatures made before the hash existed get it when the database is migrated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from tampering import guards_off

from batchtrack import migrate
from batchtrack.audit import signature_check
from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role

from builders import make_user, seed_lot
from quality_builders import record_weight
from release_builders import record_allergy

CONTENT = {"lot": "W000026000001", "result": "no growth", "day": 14}
# Each write-once table and a column of it (lot_collection has no id of its own).
WRITE_ONCE = {"signature": "id", "eligibility_assessment": "id", "receipt_record": "id", "allergy": "id",
              "weight_record": "id", "label_print": "id", "lot_collection": "lot_id"}


def _signed(database: Database) -> Signature:
    qa = make_user(database, Role.QA, qualified=False)  # no qualification grants: this signature is the only one
    with database.transaction() as session:
        return signatures.sign(session=session, signer=qa.principal, username=qa.username, password=qa.password,
                               meaning=SignatureMeaning.RELEASED, entity_type="lot", entity_id="W000026000001",
                               content=CONTENT)


def test_the_signature_hash_changes_with_every_field_it_covers(database: Database) -> None:
    signature = _signed(database)
    assert signature.hash == signatures.signature_hash(signature) and len(signature.hash) == 64
    changed = {"signer_id": signature.signer_id + 1, "printed_name": "Someone Else", "meaning": "rejected",
               "signed_at": signature.signed_at + timedelta(microseconds=1), "entity_type": "material_lot",
               "entity_id": "W000026000002", "content_hash": "0" * 64}
    for field, value in changed.items():
        other = Signature(**{**signature.model_dump(), field: value})
        assert signatures.signature_hash(other) != signature.hash, field
    # Fields are not run together: moving text from one field into the next changes the hash.
    shifted = Signature(**{**signature.model_dump(), "printed_name": signature.printed_name + "r",
                           "meaning": signature.meaning[1:]})
    assert signatures.signature_hash(shifted) != signature.hash


def test_the_applied_entry_records_the_signature_hash_in_the_same_transaction(database: Database) -> None:
    signature = _signed(database)
    with database.transaction(write=False) as session:
        entry = session.execute(select(AuditEntry).where(col(AuditEntry.action) == "signature.applied")
                                ).scalars().one()
    recorded = json.loads(entry.new_values)
    assert entry.actor_id == signature.signer_id
    assert recorded == {"signature_id": signature.id, "meaning": "released", "printed_name": signature.printed_name,
                        "content_hash": signature.content_hash, "signature_hash": signature.hash}


def test_is_intact_shows_a_signature_broken_when_its_row_no_longer_matches_its_hash(database: Database) -> None:
    signature = _signed(database)
    assert signatures.is_intact(signature, dict(CONTENT))
    forged = Signature(**{**signature.model_dump(), "printed_name": "Somebody Else"})
    assert not signatures.is_intact(forged, dict(CONTENT))


@pytest.mark.parametrize("statement", ["UPDATE signature SET printed_name = 'Somebody Else'",
                                       "UPDATE signature SET content_hash = hash",
                                       "DELETE FROM signature"])
def test_the_database_refuses_to_change_or_remove_a_signature(database: Database, statement: str) -> None:
    signature = _signed(database)
    with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
        session.execute(text(statement))
    with database.transaction(write=False) as session:
        kept = session.execute(select(Signature)).scalars().one()
        assert (kept.printed_name, kept.content_hash, kept.hash) == (signature.printed_name, signature.content_hash,
                                                                     signature.hash)


def test_the_database_refuses_to_change_or_remove_any_write_once_record(
    database: Database, settings: Settings, is_postgres: bool
) -> None:
    seed_lot(database, settings)
    record_allergy(database, "S-001", "penicillin")
    record_weight(database, "S-001", 61.0)
    for table, column in WRITE_ONCE.items():
        with database.transaction(write=False) as session:
            assert session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() > 0, table
        for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}",
                          *([f"TRUNCATE {table} CASCADE"] if is_postgres else [])):
            with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
                session.execute(text(statement))


def test_signatures_made_before_the_hash_get_it_when_the_database_is_migrated(
    database: Database, settings: Settings
) -> None:
    seed_lot(database, settings)  # an eligibility signature, made by the service
    _signed(database)
    with database.transaction(write=False) as session:
        before = {s.id: s.hash for s in session.execute(select(Signature)).scalars()}
    _downgrade(database, "20261125_0008")
    migrate.upgrade(database.engine)
    with database.transaction(write=False) as session:
        rows = list(session.execute(select(Signature)).scalars())
        assert {s.id: s.hash for s in rows} == before
        assert all(s.hash == signatures.signature_hash(s) for s in rows)
        findings = signature_check.check_signatures(session=session)
    # The test signature over made-up content has no record behind it; the service's signature is intact. The
    # qualifications granted to the test users went with the downgrade below their tables: their grants are gone.
    gone = {f"signature {s.id}" for s in rows if s.entity_type == "qualification"}
    assert {f.subject.split(" (")[0] for f in findings} <= {f"signature {max(before)}"} | gone


def _downgrade(database: Database, revision: str) -> None:
    from alembic import command

    config = migrate.alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    with database.engine.connect() as connection:
        columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(signature)")] \
            if database.engine.dialect.name == "sqlite" else list(connection.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'signature'").scalars())
    assert "hash" not in columns


def test_a_signed_record_that_cannot_be_read_back_is_named_and_the_others_still_checked(
    database: Database, settings: Settings, is_postgres: bool
) -> None:
    seed_lot(database, settings)
    seed_lot(database, settings, subject="S-002", mrn="MRN-S-002")
    with database.transaction() as session:
        guards_off(session, "eligibility_assessment")
        session.execute(text("UPDATE eligibility_assessment SET answers = 'not JSON' WHERE id = 1"))
    with database.transaction(write=False) as session:
        first = session.execute(text("SELECT signature_id FROM eligibility_assessment WHERE id = 1")).scalar_one()
        findings = signature_check.check_signatures(session=session)
    assert [(f.subject, f.problem.split(" (")[0]) for f in findings] == [
        (f"signature {first} (approved) on recipient S-001", "the signed record cannot be read back to check it")]
