"""Verification of every electronic signature against its own hash, its audit entry and the record it signed.

Cost: one query for the signature rows, one for every `signature.applied` entry (by the indexed `action`), then the
content of each signed record rebuilt by its registered builder, a few queries each (a process step: six).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit.findings import Check, Finding
from batchtrack.auth import signatures, signed_records
from batchtrack.models.signature import Signature


def subject_of(signature: Signature) -> str:
    """How a finding names the signature and its record: 'signature 7 (released) on lot W000026000001'."""
    return f"signature {signature.id} ({signature.meaning}) on {signature.entity_type.replace('_', ' ')} " \
           f"{signature.entity_id}"


def _content_findings(session: Session, signature: Signature, subject: str,
                      applied: list[signatures.Applied]) -> list[Finding]:
    builder = signed_records.builder_for(signature.entity_type, signature.meaning)
    if builder is None:
        return [Finding(Check.SIGNATURE, subject, f"no signed-content builder is registered for "
                        f"{signature.entity_type!r} signed {signature.meaning!r}: its content cannot be checked")]
    content = builder(session=session, signature=signature)
    if content is None:
        return [Finding(Check.SIGNATURE, subject, "the signed record is not found")]
    problems = [signatures.content_problem(signature, content)]
    # The row's content hash may have been rewritten to fit an edited record: the entry written at signing was not.
    # (Where the entry and the row agree, the comparison above has said it already.)
    now = signatures.content_hash(content)
    problems.extend(f"the signed record as it is now (hash {now!r}) is not what the audit entry #{entry.seq} "
                    f"recorded as signed ({entry.content_hash!r})"
                    for entry in applied if entry.content_hash not in (now, signature.content_hash))
    return [Finding(Check.SIGNATURE, subject, problem) for problem in problems if problem is not None]


def check_signatures(*, session: Session) -> list[Finding]:
    """Every signature whose row, `signature.applied` audit entry and signed record do not all agree, named."""
    rows = list(session.execute(select(Signature).order_by(col(Signature.id))).scalars())
    applied = signatures.applied_entries(session=session)
    findings: list[Finding] = []
    for signature in rows:
        subject = subject_of(signature)
        entries = applied.get(signature.id or 0, [])
        findings.extend(Finding(Check.SIGNATURE, subject, problem)
                        for problem in signatures.row_problems(signature, entries))
        findings.extend(_content_findings(session, signature, subject, entries))
    known = {row.id for row in rows}
    for signature_id, entries in sorted(applied.items()):
        if signature_id not in known:
            seqs = ", #".join(str(entry.seq) for entry in entries)
            findings.append(Finding(Check.SIGNATURE, f"signature {signature_id}",
                                    f"the audit entry #{seqs} records it, but there is no such signature"))
    return findings
