"""The identity the bedside confirms (pure): the name as written and romanised, the date of birth as yyyy-mm-dd, and
the wristband's identity compared field by field with the bag label's."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date

from batchtrack.bedside import identity

HONG = identity.recipient(coi="CHW000026000001", subject_code="S-001", family="홍", given="길동", family_latin="Hong",
                          given_latin="Gildong", date_of_birth=date(1987, 3, 9))


def _rows(wristband: identity.RecipientView, label: identity.RecipientView) -> dict[str, tuple[str, str, bool]]:
    return {row.key: (row.wristband, row.label, row.same) for row in identity.compare(wristband, label)}


def test_a_hangul_name_is_shown_as_written_and_romanised() -> None:
    assert (HONG.name, HONG.name_latin, HONG.born) == ("홍길동", "HONG, Gildong", "1987-03-09")
    assert HONG.hangul


def test_a_latin_name_is_shown_as_on_the_label_and_marked_as_not_hangul() -> None:
    other = identity.recipient(coi="CHW000026000002", subject_code="S-002", family="Zwierzynska", given="Philomena",
                               family_latin="", given_latin="", date_of_birth=date(1990, 12, 1))
    assert (other.name, other.name_latin, other.hangul) == ("ZWIERZYNSKA, Philomena", "", False)


def test_the_same_recipient_agrees_on_every_field() -> None:
    rows = identity.compare(HONG, HONG)
    assert [row.key for row in rows] == ["name", "name-latin", "born", "subject", "coi"]
    assert all(row.same for row in rows) and not identity.differ(rows)


def test_another_recipients_label_differs_on_both_names() -> None:
    kim = identity.recipient(coi="CHW000026000002", subject_code="S-002", family="김", given="서연", family_latin="Kim",
                             given_latin="Seoyeon", date_of_birth=date(1987, 3, 9))
    rows = _rows(HONG, kim)
    assert rows["name"] == ("홍길동", "김서연", False)
    assert rows["name-latin"] == ("HONG, Gildong", "KIM, Seoyeon", False)
    assert rows["born"] == ("1987-03-09", "1987-03-09", True)
    assert identity.differ(identity.compare(HONG, kim))


def test_one_romanisation_apart_is_a_difference_even_when_the_hangul_agrees() -> None:
    rows = _rows(HONG, replace(HONG, name_latin="HONG, Kildong"))
    assert rows["name"][2] and not rows["name-latin"][2]


def test_a_name_typed_as_decomposed_jamo_is_the_same_name() -> None:
    decomposed = identity.recipient(coi=HONG.coi, subject_code="S-001", family=unicodedata.normalize("NFD", "홍"),
                                    given=unicodedata.normalize("NFD", "길동"), family_latin="Hong",
                                    given_latin="Gildong", date_of_birth=HONG.date_of_birth)
    assert not identity.differ(identity.compare(HONG, decomposed))


def test_a_romanised_name_not_recorded_shows_a_dash_on_either_side() -> None:
    unromanised = replace(HONG, name_latin="")
    assert _rows(unromanised, HONG)["name-latin"] == ("—", "HONG, Gildong", False)
    assert _rows(unromanised, unromanised)["name-latin"] == ("—", "—", True)
