"""Rules for recording names: what a romanised name may hold, when one is suggested, and how a typed name is read
for a search."""

from __future__ import annotations

import unicodedata

import pytest

from batchtrack.i18n.text import _
from batchtrack.people import matching, rules


@pytest.mark.parametrize("text", ["", "Kim", "Gil-dong", "O'Neil", "O\u2019Neil", "Soo Ah", "Müller", "Đặng",
                                  unicodedata.normalize("NFD", "José")])
def test_latin_letters_spaces_hyphens_and_apostrophes_make_a_romanised_name(text: str) -> None:
    assert rules.is_latin_name(text)


@pytest.mark.parametrize("text", ["김", "Kim수아", "Kim2", "Kim.", "Kim_Sua", "Ким", "\u039aim", "Kim\u200b", "金"])
def test_anything_else_is_not_a_romanised_name(text: str) -> None:
    assert not rules.is_latin_name(text)


def test_each_field_that_is_not_latin_gets_its_own_reason() -> None:
    reasons = rules.latin_name_refusals({"family_name_latin": (_("the romanised family name"), "김"),
                                         "given_name_latin": (_("the romanised given name"), "Sua")})
    assert [r.code for r in reasons] == ["name.not_latin.family_name_latin"]
    assert reasons[0].message == ("the romanised family name may hold only Latin letters, spaces, hyphens and "
                                  "apostrophes")


def test_a_hangul_name_sent_without_its_romanisation_gets_the_suggestion() -> None:
    latin = rules.latin_to_record(family="김", given="수아", family_latin=None, given_latin=None)
    assert (latin.family, latin.given, latin.how) == ("Kim", "Sua", rules.Romanisation.SUGGESTED)


def test_a_name_in_another_script_sent_alone_has_no_romanisation() -> None:
    for family, given in (("Zwierzynska", "Philomena"), ("김", "Sua"), ("", "")):
        latin = rules.latin_to_record(family=family, given=given, family_latin=None, given_latin=None)
        assert (latin.family, latin.given, latin.how) == ("", "", rules.Romanisation.NONE)


def test_a_suggestion_longer_than_a_name_part_may_be_is_not_made() -> None:
    longest = rules.latin_to_record(family="김", given="빵" * 40, family_latin=None, given_latin=None)
    assert (len(longest.given), longest.how) == (200, rules.Romanisation.SUGGESTED)
    too_long = rules.latin_to_record(family="김", given="빵" * 41, family_latin=None, given_latin=None)
    assert (too_long.family, too_long.given, too_long.how) == ("", "", rules.Romanisation.NONE)


def test_a_romanisation_sent_is_recorded_as_sent_even_when_empty() -> None:
    sent = rules.latin_to_record(family="김", given="수아", family_latin=" Gim ", given_latin="Su-a")
    assert (sent.family, sent.given, sent.how) == ("Gim", "Su-a", rules.Romanisation.ENTERED)
    one_part = rules.latin_to_record(family="김", given="수아", family_latin="Kim", given_latin=None)
    assert (one_part.family, one_part.given, one_part.how) == ("Kim", "", rules.Romanisation.ENTERED)
    empty = rules.latin_to_record(family="김", given="수아", family_latin="", given_latin="")
    assert empty.how == rules.Romanisation.NONE


@pytest.mark.parametrize(("family", "given", "needed"), [
    ("김", "수아", True), ("남궁", "", True), ("김", "Sua", False), ("Kim", "Sua", False), ("", "", False),
])
def test_a_suggestion_is_made_for_a_name_wholly_in_hangul(family: str, given: str, needed: bool) -> None:
    assert rules.needs_suggestion(family=family, given=given) is needed


@pytest.mark.parametrize(("typed", "forms"), [
    ("김수아", ("김수아",)),
    (" 김  수아 ", ("김수아", "수아김")),
    ("김", ("김",)),
    ("Kim Sua", ("kimsua", "suakim")),
    ("KIM, Su-a", ("kimsua",)),
    ("Gil-dong Hong", ("gildonghong", "honggildong")),
    (unicodedata.normalize("NFD", "김수아"), ("김수아",)),
    ("", ()),
    ("  ", ()),
    ("12-34", ()),
])
def test_a_typed_name_is_read_in_the_orders_people_write_it(typed: str, forms: tuple[str, ...]) -> None:
    assert matching.name_forms(typed) == forms
