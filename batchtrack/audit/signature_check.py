"""Verification of every electronic signature against its own hash, its audit entry and the record it signed.

Each signed record is rebuilt as it stood when the signature was made: a correction appended properly after signing
is no finding (the record's page still shows the signature as changed since signing). What was appended after a
signature is checked against the trail instead, for the kinds whose content is rebuilt as of a time.

Cost: one query for the signature rows, one for every `signature.applied` entry (by the indexed `action`), then the
content of each signed record rebuilt by its registered builder: process steps (two signatures each, the most
numerous kind) six queries per 500 signatures, and six more for what was appended after them (plus one over the
`value.corrected` entries where values were); every other kind a few queries per signature.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit.findings import Check, Finding
from batchtrack.auth import signatures, signed_records
from batchtrack.i18n.text import Text, _
from batchtrack.models.signature import Signature

# Signatures of one kind rebuilt per call: bounds the IN lists of a bulk builder.
_CHUNK = 500


class _NoBuilder:
    """Stands for the content of a signature of a kind no builder is registered for."""


NO_BUILDER = _NoBuilder()


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """Stands for the content of a signature whose record could not be read back (an edited row, say)."""

    error: str


Rebuilt = dict[str, Any] | _NoBuilder | _Unreadable | None


def subject_of(signature: Signature) -> str:
    """How a finding names the signature and its record: 'signature 7 (released) on lot W000026000001'."""
    return str(_subject(signature))


def _subject(signature: Signature) -> Text:
    return _("signature {id} ({meaning}) on {record} {record_id}", id=signature.id, meaning=signature.meaning,
             record=signature.entity_type.replace("_", " "), record_id=signature.entity_id)


def _built(session: Session, builder: signed_records.ContentsOf, signed: list[Signature]) -> dict[int, Rebuilt]:
    """The contents of `signed` rebuilt; where a record cannot be read back, that signature alone is marked so."""
    try:
        return dict(builder(session=session, signatures=signed))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if len(signed) == 1:
            return {signed[0].id or 0: _Unreadable(f"{type(exc).__name__}: {exc}")}
        # One bad record must not hide the others of its chunk: each is rebuilt on its own.
        return {key: value for one in signed for key, value in _built(session, builder, [one]).items()}


def _contents(session: Session, rows: list[Signature]) -> tuple[dict[int, Rebuilt], dict[int, list[str]]]:
    """The content of every signature rebuilt from its record as it stood when signed, and what was appended to the
    record after it that the application does not append; kind by kind, a chunk of signatures at a time."""
    kinds: dict[tuple[str, str], list[Signature]] = defaultdict(list)
    for signature in rows:
        kinds[(signature.entity_type, signature.meaning)].append(signature)
    contents: dict[int, Rebuilt] = {}
    appended: dict[int, list[str]] = {}
    for (entity_type, meaning), signed in kinds.items():
        builder = signed_records.builder_for(entity_type, meaning)
        if builder is None:
            contents.update((s.id or 0, NO_BUILDER) for s in signed)
            continue
        check = signed_records.appended_checks().get((entity_type, meaning))
        for start in range(0, len(signed), _CHUNK):
            chunk = signed[start:start + _CHUNK]
            contents.update(_built(session, builder, chunk))
            if check is not None:
                appended.update(check(session=session, signatures=chunk))
    return contents, appended


def _content_findings(signature: Signature, content: Rebuilt, applied: list[signatures.Applied]
                      ) -> list[str | Text]:
    if isinstance(content, _NoBuilder):
        return [_("no signed-content builder is registered for {record} signed {meaning}: its content cannot be "
                  "checked", record=repr(signature.entity_type), meaning=repr(signature.meaning))]
    if isinstance(content, _Unreadable):
        return [_("the signed record cannot be read back to check it ({error})", error=content.error)]
    if content is None:
        return [_("the signed record is not found")]
    problems: list[str | Text | None] = [signatures.content_problem(signature, content)]
    # The row's content hash may have been rewritten to fit an edited record: the entry written at signing was not.
    # (Where the entry and the row agree, the comparison above has said it already.)
    rebuilt = signatures.content_hash(content)
    problems.extend(_("the signed record as it stood at signing (hash {rebuilt}) is not what the audit entry #{seq} "
                      "recorded as signed ({recorded})", rebuilt=repr(rebuilt), seq=entry.seq,
                      recorded=repr(entry.content_hash))
                    for entry in applied if entry.content_hash not in (rebuilt, signature.content_hash))
    return [problem for problem in problems if problem is not None]


def check_signatures(*, session: Session) -> list[Finding]:
    """Every signature whose row, `signature.applied` audit entry and signed record do not all agree, named."""
    rows = list(session.execute(select(Signature).order_by(col(Signature.id))).scalars())
    applied = signatures.applied_entries(session=session)
    contents, appended = _contents(session, rows)
    findings: list[Finding] = []
    for signature in rows:
        subject = _subject(signature)
        entries = applied.get(signature.id or 0, [])
        problems: list[str | Text] = [*signatures.row_problems(signature, entries)]
        problems += _content_findings(signature, contents.get(signature.id or 0), entries)
        problems += appended.get(signature.id or 0, [])
        findings.extend(Finding(Check.SIGNATURE, subject, problem) for problem in problems)
    known = {row.id for row in rows}
    for signature_id, entries in sorted(applied.items()):
        if signature_id not in known:
            seqs = ", #".join(str(entry.seq) for entry in entries)
            findings.append(Finding(Check.SIGNATURE, _("signature {id}", id=signature_id),
                                    _("the audit entry #{seqs} records it, but there is no such signature",
                                      seqs=seqs)))
    return findings
