"""Electronic signatures: password re-entered, meaning and printed name kept, content change detected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.db import Database
from batchtrack.errors import SignatureRefused
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role

from builders import make_user

CONTENT = {"lot": "W000026000001", "result": "no growth", "day": 14}


def test_a_signature_records_name_meaning_time_and_the_hash_of_the_content(database: Database) -> None:
    qa = make_user(database, Role.QA)
    with database.transaction() as session:
        signature = signatures.sign(session=session, signer=qa.principal, username=qa.username, password=qa.password,
                                    meaning=SignatureMeaning.RELEASED, entity_type="lot",
                                    entity_id="W000026000001", content=CONTENT)
    assert signature.printed_name == f"Test {qa.username.title()}"
    assert signature.meaning == "released" and signature.signed_at.tzinfo is not None
    assert signatures.is_intact(signature, dict(CONTENT))
    assert not signatures.is_intact(signature, {**CONTENT, "result": "growth"})


def test_a_wrong_password_refuses_the_signature_and_the_refusal_is_auditable(database: Database) -> None:
    qa = make_user(database, Role.QA, qualified=False)  # no qualification grants: no signature at all before
    with pytest.raises(SignatureRefused) as refused, database.transaction() as session:
        signatures.sign(session=session, signer=qa.principal, username=qa.username, password="not-my-password",
                        meaning=SignatureMeaning.APPROVED, entity_type="lot", entity_id="X", content=CONTENT)
    assert refused.value.audit is not None and refused.value.audit.action == "signature.refused"
    with database.transaction(write=False) as session:
        assert session.execute(select(Signature)).first() is None
        assert audit_service.verify(session=session).ok
