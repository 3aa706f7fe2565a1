"""A Korean reader reads the chain-of-identity report's events in Korean to the last word: what each event concerns
and its details ("collection DIN ...", "transport 4.0°C, 3 h after collection", "label #3, verified by scan", "dose ...
against ... prescribed"), the stored codes it names and what each signature means, on the page and in the printout.
What people typed (notes, reasons, descriptions) and their names are shown as typed; the API keeps its English."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from document_builders import text_of
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle
from coi_report_builders import (
    DESTROY_REASON,
    DEVIATION_CLOSURE,
    DEVIATION_TEXT,
    HANDOVERS,
    REPRINT_REASON,
    SECOND_MISSING,
    SPEC_CODE,
    InfusedTherapy,
    infused_therapy,
)

KOREAN = {"accept-language": "ko"}
# What people typed or the record names as recorded: shown as it is in any language.
TYPED = (REPRINT_REASON, DESTROY_REASON, DEVIATION_TEXT, DEVIATION_CLOSURE, SECOND_MISSING["message"],
         SECOND_MISSING["code"], *(place for place, _ in HANDOVERS), "posterior iliac crest",
         SPEC_CODE)
PEOPLE = re.compile(r"Test [A-Za-z]+-[0-9A-Za-z]{6}")
# Words that are the same in Korean text: identifiers' prefixes, units, zones, file formats.
KEPT = {"DIN", "COI", "QA", "cells", "mL", "KST", "UTC", "png", "zpl"}
# A word, not a part of an identifier (CHW000026000001, DEV-2026-0001).
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]{2,}(?![A-Za-z0-9-])")


def _english_words(text: str) -> set[str]:
    for typed in TYPED:
        text = text.replace(typed, " ")
    text = PEOPLE.sub(" ", text)
    return {word for word in ENGLISH_WORD.findall(text) if word not in KEPT}


def _events_of_page(page: str) -> str:
    found = re.search(r'<ol class="timeline coi-events" id="coi-events">(.*?)</ol>', page, re.S)
    assert found is not None
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1]))


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    return infused_therapy(database, settings)


def test_the_events_on_the_korean_page_hold_no_english_words(
    chain: InfusedTherapy, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    client, _ = as_role(Role.QA)
    page = client.get(f"/therapies/{chain.coi}/report", headers={**KOREAN, "accept": "text/html"}).text
    events = _events_of_page(page)
    assert _english_words(events) == set()
    # The recorded words are there, as typed, and the record's own words in Korean.
    assert REPRINT_REASON in events and DEVIATION_TEXT in events
    assert "채취 DIN" in events and "로트 DIN" in events and "스캔으로 확인" in events


def test_the_korean_printout_of_the_report_holds_no_english_words_but_what_was_typed(
    chain: InfusedTherapy, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    client, _ = as_role(Role.QA)
    printout = text_of(client.get(f"/api/v1/therapies/{chain.coi}/report.pdf", headers=KOREAN).content)
    events = printout[printout.index("이벤트(오래된 순)"):]
    for english in ("collection DIN", "lot DIN", "verified by scan", "prescribed", "adverse reaction", "after "
                    "collection", "template version", "product code", "label #", "reprint reason", "infused"):
        assert english not in events, english
    assert "수행" in printout and "검토" in printout  # what the infusion's signatures mean


def test_the_api_answers_the_same_events_in_english_whatever_the_language_asked(
    chain: InfusedTherapy, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    client, _ = as_role(Role.QA)
    korean = client.get(f"/api/v1/therapies/{chain.coi}/report", headers=KOREAN).json()
    english = client.get(f"/api/v1/therapies/{chain.coi}/report").json()
    assert korean["events"] == english["events"] and korean["signatures"] == english["signatures"]
    details = {event["kind"]: event["detail"] for event in english["events"]}
    subjects = {event["kind"]: event["subject"] for event in english["events"]}
    assert re.fullmatch(r"collection DIN W\d{12} \w", subjects["collection.received"])
    assert re.fullmatch(r"from collection W\d{12}; product code Y0001100", details["lot.opened"])
    assert re.fullmatch(r"transport 20\.0°C, 2\.0 h after collection", details["collection.received"])
    assert details["bedside.passed"] == "dose 6.2 \u00d7 10\u2077 cells against 6.25 \u00d7 10\u2077 cells prescribed"
    assert details["infusion.ended"] == "50.0 mL infused; no adverse reaction recorded"
    assert details["release.decided"] == "specification MSC-FP-REL version 3"
    assert re.fullmatch(r"label #\d+, verified by scan", details["label.applied"])
    assert re.fullmatch(r"from Test \S+ to Test \S+ at Ward 7 infusion suite, 5\.5°C", details["custody.handed_over"])
    assert subjects["therapy.opened"].startswith("COI ")
    assert re.fullmatch(r"subject S-001; product code Y0001100; donor S-001 \(autologous\)", details["therapy.opened"])
    assert subjects["infusion.started"] == "final product " + chain.din + " A0"
    assert {s["meaning"] for s in english["signatures"]} >= {"performed", "reviewed", "released"}
    by = {event["kind"]: event["by"] for event in english["events"]}
    assert re.fullmatch(r"Test Nurse-\w{6} and Test Investigator-\w{6}", by["bedside.passed"])
