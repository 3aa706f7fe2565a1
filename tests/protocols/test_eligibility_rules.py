"""Eligibility against the KCT0004337 protocol file, as a pure function: every unmet condition at once."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from batchtrack.protocols import definition, eligibility
from batchtrack.resources import resource_dir

from builders import eligible_answers

PROTOCOL = definition.load("KCT0004337")
NEPHRITIS = eligibility.Subject(indication="nephritis", donor_kind="autologous")


def codes(outcome: eligibility.Outcome) -> list[str]:
    return [r.code for r in outcome.reasons]


def test_the_protocol_reads_the_criteria_by_meaning_not_by_the_swapped_headings() -> None:
    kinds = {c.id: c.kind for c in PROTOCOL.criteria}
    assert kinds["INC-SLE"] == "inclusion" and kinds["INC-SEROLOGY"] == "inclusion"
    assert kinds["EXC-PEN-STREP"] == "exclusion" and kinds["EXC-EGFR"] == "exclusion"
    assert PROTOCOL.limits.dose_cells_per_kg == 1_000_000


def test_a_subject_meeting_every_criterion_is_eligible() -> None:
    assert eligibility.evaluate(PROTOCOL, NEPHRITIS, eligible_answers()).eligible


def test_nephritis_and_cytopenia_subjects_answer_their_own_criteria() -> None:
    nephritis = {c.id for c in eligibility.applicable(PROTOCOL, NEPHRITIS)}
    cytopenia = {c.id for c in eligibility.applicable(PROTOCOL, eligibility.Subject("cytopenia", "autologous"))}
    assert "INC-NEPHRITIS" in nephritis and "INC-CYTOPENIA" not in nephritis
    assert "INC-CYTOPENIA" in cytopenia and "INC-DONOR" not in cytopenia


def test_every_failed_criterion_is_named() -> None:
    answers = {**eligible_answers(), "INC-SEROLOGY": False, "EXC-EGFR": True}
    del answers["EXC-STEM-CELL"]
    outcome = eligibility.evaluate(PROTOCOL, NEPHRITIS, answers)
    assert not outcome.eligible
    assert sorted(codes(outcome)) == ["eligibility.exclusion_present", "eligibility.inclusion_not_met",
                                      "eligibility.unanswered"]
    text = " ".join(r.message for r in outcome.reasons)
    assert "INC-SEROLOGY" in text and "EXC-EGFR" in text and "EXC-STEM-CELL" in text


def test_a_pen_strep_hypersensitivity_refuses_whatever_the_answers_say() -> None:
    subject = eligibility.Subject(indication="nephritis", donor_kind="autologous", allergies=("Streptomycin",))
    outcome = eligibility.evaluate(PROTOCOL, subject, eligible_answers())
    assert codes(outcome) == ["eligibility.pen_strep_hypersensitivity"]
    assert "Streptomycin" in outcome.reasons[0].message


def test_a_directed_donor_must_be_18_to_70() -> None:
    answers = eligible_answers(donor_kind="directed")
    young = eligibility.Subject("nephritis", "directed", donor_date_of_birth=date(2010, 1, 1),
                                assessed_on=date(2026, 11, 24))
    adult = eligibility.Subject("nephritis", "directed", donor_date_of_birth=date(1980, 1, 1),
                                assessed_on=date(2026, 11, 24))
    assert codes(eligibility.evaluate(PROTOCOL, young, answers)) == ["eligibility.donor_age"]
    assert eligibility.evaluate(PROTOCOL, adult, answers).eligible
    assert "INC-DONOR" in answers


def test_a_second_protocol_is_added_as_a_file_without_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "protocols"
    shutil.copytree(resource_dir("protocols"), folder)
    second = json.loads((folder / "KCT0004337.json").read_text())
    second |= {"id": "DEMO-2", "title": "A second study", "indications": ["nephritis"]}
    second["criteria"] = [c for c in second["criteria"] if c["applies_to"] in ("all", "nephritis", "directed")]
    (folder / "DEMO-2.json").write_text(json.dumps(second))
    monkeypatch.setattr(definition, "resource_dir", lambda name: tmp_path / name)
    definition.load.cache_clear()
    try:
        assert definition.available() == ["DEMO-2", "KCT0004337"]
        assert definition.load("DEMO-2").title == "A second study"
    finally:
        definition.load.cache_clear()
