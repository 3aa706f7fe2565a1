"""The three printed records in the reader's language, read back with pypdf: in Korean, their headings, labels and
fixed sentences are Korean while what was recorded is printed as recorded (the recipient's Hangul name and its
romanised form); in English, the records are as they always were."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from document_builders import pages
from printed_record_builders import Filled, batch_record, certificate, coi_report

from batchtrack.batch_record import pdf as batch_record_pdf
from batchtrack.coi_report import pdf as coi_report_pdf
from batchtrack.coi_report.record import CoiReport
from batchtrack.i18n import catalogs
from batchtrack.i18n.text import ENGLISH
from batchtrack.release import certificate as certificate_pdf

ANCHOR = "Audit trail through entry 1234, hash 9f2c4be1, checkpoint 17"
KOREAN = catalogs.translations("ko")
HANGUL = range(0xAC00, 0xD7A4)


def _latin(name: str, length: int) -> str:
    return f"{name.split('.')[-1]}-text"[:length]


def _has_hangul(text: str) -> bool:
    return any(ord(character) in HANGUL for character in text)


def _hangul_recipient(report: CoiReport) -> CoiReport:
    recipient = dataclasses.replace(report.recipient, family_name="홍", given_name="길동", name="홍, 길동",
                                    family_name_latin="Hong", given_name_latin="Gildong")
    return dataclasses.replace(report, recipient=recipient)


def _coi_report() -> CoiReport:
    return _hangul_recipient(coi_report(Filled(_latin)))


RECORDS: dict[str, tuple[Callable[[], Any], Callable[..., bytes]]] = {
    "batch record": (lambda: batch_record(Filled(_latin)), batch_record_pdf.render_pdf),
    "certificate of analysis": (lambda: certificate(Filled(_latin)), certificate_pdf.render_pdf),
    "chain-of-identity report": (_coi_report, coi_report_pdf.render_pdf),
}
# Headings and labels each record prints, in English and in Korean (the catalog's words, glossary terms).
HEADINGS = {
    "batch record": [("Batch record", "제조기록서"), ("Growth curve", "성장 곡선"), ("Steps", "공정 단계"),
                     ("Deviations", "일탈"), ("Signatures", "서명"), ("Lot state", "로트 상태")],
    "certificate of analysis": [("Certificate of analysis", "시험성적서"), ("Results", "시험 결과"),
                                ("QA decision", "품질보증(QA) 결정"), ("Signed by", "서명자")],
    "chain-of-identity report": [("Chain-of-identity report", "동일성 연결(COI) 보고서"),
                                 ("Custody hand-overs", "인수인계"), ("Electronic signatures", "전자서명"),
                                 ("Events, oldest first", "이벤트(오래된 순)")],
}


@pytest.mark.parametrize("kind", list(RECORDS))
def test_a_record_printed_in_korean_has_korean_headings_and_numbered_pages(kind: str) -> None:
    build, render = RECORDS[kind]
    printed = pages(render(build(), audit_anchor=ANCHOR, translations=KOREAN))
    text = " ".join(printed)
    for english, korean in HEADINGS[kind]:
        assert korean in text and english not in text, (kind, korean)
    for number, page in enumerate(printed, start=1):
        assert f"{len(printed)}쪽 중 {number}쪽" in page
        assert "page " not in page
        assert ANCHOR in page


@pytest.mark.parametrize("kind", list(RECORDS))
def test_a_record_printed_in_english_is_as_it_was(kind: str) -> None:
    build, render = RECORDS[kind]
    record = build()
    printed = pages(render(record, audit_anchor=ANCHOR))
    text = " ".join(printed)
    for english, _korean in HEADINGS[kind]:
        assert english in text, (kind, english)
    for number, page in enumerate(printed, start=1):
        assert f"page {number} of {len(printed)}" in page
    # Korean appears only where it was recorded (the recipient's name), never in what the record says itself.
    assert not _has_hangul(text.replace("홍길동", ""))
    assert pages(render(record, audit_anchor=ANCHOR, translations=ENGLISH)) == printed


def test_the_chain_of_identity_report_prints_the_name_as_written_and_romanised_in_either_language() -> None:
    report = _coi_report()
    korean = " ".join(pages(coi_report_pdf.render_pdf(report, translations=KOREAN)))
    english = " ".join(pages(coi_report_pdf.render_pdf(report)))
    assert "수혜자 홍길동" in korean and "로마자 이름 HONG, Gildong" in korean and "생년월일 1984-03-01" in korean
    assert "Recipient 홍길동" in english and "Romanised name HONG, Gildong" in english
    # Recorded data keeps its language: the DIN, the subject code and the recorded texts print as recorded.
    for recorded in ("W0000 26 000001 K", report.recipient.subject_code, "site-text", "CHW000026000001"):
        assert recorded in korean and recorded in english


def test_a_report_for_a_role_that_may_not_see_the_name_says_so_in_korean() -> None:
    hidden = dataclasses.replace(_coi_report().recipient, identity_shown=False, family_name=None, given_name=None,
                                 name=None, date_of_birth=None, family_name_latin="", given_name_latin="")
    report = dataclasses.replace(_coi_report(), recipient=hidden)
    korean = " ".join(pages(coi_report_pdf.render_pdf(report, translations=KOREAN)))
    assert "사용자의 역할에는 이름과 생년월일이 표시되지 않습니다" in korean
    assert "홍길동" not in korean and "Gildong" not in korean
