"""What a search text is read as, before any record is looked up: identifiers with or without their check
characters, a container's label as scanned, a subject code, and a name only for readers who see patient identity."""

from __future__ import annotations

import pytest

from batchtrack.dashboard.search_terms import Kind, Term, read
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt

DIN = "G123417654321"  # check character A (the standard's worked example)
COI = "CHW000026000001"  # check character 6


def kinds(text: str, *, names: bool = False) -> list[Kind]:
    return [term.kind for term in read(text, names=names).terms]


@pytest.mark.parametrize("text", [DIN, DIN + "A", "G1234 17 65 4321 A", "g123417654321a", " G123417654321\t"])
def test_a_din_with_or_without_its_check_character_is_a_din(text: str) -> None:
    reading = read(text, names=False)
    assert reading.terms[0] == Term(Kind.DIN, DIN)
    assert reading.refusal is None


def test_a_din_whose_check_character_does_not_match_is_refused_with_that_reason() -> None:
    reading = read(DIN + "B", names=False)
    assert Kind.DIN not in reading.kinds()
    assert reading.refusal is not None
    assert str(reading.refusal) == ("The check character B does not match DIN G123417654321: read it again from the "
                                    "label.")


@pytest.mark.parametrize("text", [COI, COI + "6", "chw000026000001 6", isbt.coi_structure(coi_id.parse(COI))])
def test_a_coi_identifier_with_or_without_its_check_character_or_data_identifier_is_a_coi(text: str) -> None:
    assert read(text, names=False).terms[0] == Term(Kind.COI, COI)


def test_a_coi_identifier_whose_check_character_does_not_match_is_refused() -> None:
    reading = read(COI + "7", names=False)
    assert reading.terms == ()
    assert "does not match COI identifier CHW000026000001" in str(reading.refusal)


def test_a_scanned_din_barcode_with_unused_flags_is_a_din() -> None:
    assert read(isbt.din_structure(din_id.parse(DIN)), names=False).terms == (Term(Kind.DIN, DIN),)


@pytest.mark.parametrize("text", [isbt.din_structure(din_id.parse(DIN), flags="03"), DIN + "03", DIN + " 03"])
def test_a_vessel_or_sample_label_names_its_container_by_its_flag(text: str) -> None:
    assert read(text, names=False).terms == (Term(Kind.CONTAINER, DIN, sample_flag="03"),)


def test_a_product_bag_label_names_its_container_then_its_therapy() -> None:
    code = isbt.product_code("Y0001", "1", "A0")
    label = isbt.compound_message([isbt.din_structure(din_id.parse(DIN)), isbt.product_structure(code),
                                   isbt.coi_structure(coi_id.parse(COI))])
    assert read(label, names=False).terms == (
        Term(Kind.CONTAINER, DIN, division="A0", product_code=code[:6]), Term(Kind.COI, COI))


def test_a_barcode_that_cannot_be_read_is_refused_with_the_scanners_reason() -> None:
    reading = read("=+03000=G12341765432100", names=False)
    assert reading.terms == ()
    assert str(reading.refusal).startswith("The barcode cannot be read: ")


def test_an_expiry_barcode_names_no_record() -> None:
    reading = read("=>026123", names=False)
    assert reading.terms == () and "no DIN or COI identifier" in str(reading.refusal)


@pytest.mark.parametrize("text", ["S-007", "CS20AT04-S-001", "KCT0004337-01", "s.12", "Hong"])
def test_a_subject_code_is_read_as_one_not_refused_as_a_malformed_din(text: str) -> None:
    reading = read(text, names=False)
    assert Term(Kind.SUBJECT_CODE, text) in reading.terms
    assert reading.refusal is None


@pytest.mark.parametrize("text", ["김수아", "홍 길동", "Kim Sua", "HONG, Gil-dong", "Gildong Hong", "O'Neil", "hong"])
def test_a_name_is_a_term_for_readers_who_see_patient_identity(text: str) -> None:
    reading = read(text, names=True)
    assert reading.terms[-1] == Term(Kind.NAME, " ".join(text.split()))


@pytest.mark.parametrize("text", ["김수아", "홍 길동", "Kim Sua", "HONG, Gil-dong"])
def test_a_name_is_no_term_for_anyone_else(text: str) -> None:
    assert read(text, names=False).terms == ()
    assert read(text, names=False).refusal is None


def test_a_word_that_may_be_a_subject_code_or_a_name_is_tried_as_both() -> None:
    assert kinds("hong", names=True) == [Kind.SUBJECT_CODE, Kind.NAME]
    assert kinds("hong", names=False) == [Kind.SUBJECT_CODE]


@pytest.mark.parametrize("text", ["!!!", "S 007 #", "12/34", "", "   ", "Kim 2"])
def test_what_is_no_identifier_and_no_name_has_no_term(text: str) -> None:
    reading = read(text, names=True)
    assert reading.terms == () and reading.refusal is None


def test_a_long_text_is_cut_to_the_longest_query() -> None:
    reading = read("a" * 5000, names=True)
    assert all(len(term.value) <= 200 for term in reading.terms)
