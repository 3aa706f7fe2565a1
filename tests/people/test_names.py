"""Names as people write them and as they are romanised: the rules of batchtrack.people.names.

The expected romanisations are written out by hand from the Revised Romanization tables, not derived from the
module's own tables, so a wrong letter in the module fails here.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtrack.people import names

# One syllable per initial consonant, with the vowel ㅏ.
INITIALS = [
    ("가", "ga"), ("까", "kka"), ("나", "na"), ("다", "da"), ("따", "tta"), ("라", "ra"), ("마", "ma"),
    ("바", "ba"), ("빠", "ppa"), ("사", "sa"), ("싸", "ssa"), ("아", "a"), ("자", "ja"), ("짜", "jja"),
    ("차", "cha"), ("카", "ka"), ("타", "ta"), ("파", "pa"), ("하", "ha"),
]  # fmt: skip
# One syllable per vowel, with the silent initial ㅇ.
MEDIALS = [
    ("아", "a"), ("애", "ae"), ("야", "ya"), ("얘", "yae"), ("어", "eo"), ("에", "e"), ("여", "yeo"),
    ("예", "ye"), ("오", "o"), ("와", "wa"), ("왜", "wae"), ("외", "oe"), ("요", "yo"), ("우", "u"),
    ("워", "wo"), ("웨", "we"), ("위", "wi"), ("유", "yu"), ("으", "eu"), ("의", "ui"), ("이", "i"),
]  # fmt: skip
# One syllable per final consonant (27, single and double), after 아: a final is written as it sounds alone.
FINALS = [
    ("악", "ak"), ("앆", "ak"), ("앇", "ak"), ("안", "an"), ("앉", "an"), ("않", "an"), ("앋", "at"),
    ("알", "al"), ("앍", "ak"), ("앎", "am"), ("앏", "al"), ("앐", "al"), ("앑", "al"), ("앒", "ap"),
    ("앓", "al"), ("암", "am"), ("압", "ap"), ("앖", "ap"), ("앗", "at"), ("았", "at"), ("앙", "ang"),
    ("앚", "at"), ("앛", "at"), ("앜", "ak"), ("앝", "at"), ("앞", "ap"), ("앟", "at"),
]  # fmt: skip


def given_latin(given_name: str) -> str:
    return names.suggested_latin("", given_name)[1]


def test_the_tables_cover_every_jamo_of_the_syllable_block() -> None:
    assert len(INITIALS) == 19 and len(MEDIALS) == 21 and len(FINALS) == 27
    finals = {(ord(syllable) - 0xAC00) % 28 for syllable, _ in FINALS}
    assert finals == set(range(1, 28))


@pytest.mark.parametrize(("syllable", "latin"), INITIALS)
def test_every_initial_consonant_is_romanised(syllable: str, latin: str) -> None:
    assert given_latin(syllable) == latin.capitalize()


@pytest.mark.parametrize(("syllable", "latin"), MEDIALS)
def test_every_vowel_is_romanised(syllable: str, latin: str) -> None:
    assert given_latin(syllable) == latin.capitalize()


@pytest.mark.parametrize(("syllable", "latin"), FINALS)
def test_every_final_consonant_is_romanised(syllable: str, latin: str) -> None:
    assert given_latin(syllable) == latin.capitalize()


@pytest.mark.parametrize(
    ("given_name", "latin"),
    [
        ("길동", "Gildong"),
        ("수아", "Sua"),
        ("복남", "Boknam"),  # not Bongnam: personal names take no sound changes across syllables
        ("빛나", "Bitna"),
        ("종로", "Jongro"),  # not Jongno
        ("별라", "Byeolla"),  # ㄹㄹ is written ll
        ("민 준", "Min Jun"),
    ],
)
def test_a_given_name_is_romanised_syllable_by_syllable_without_a_hyphen(given_name: str, latin: str) -> None:
    assert given_latin(given_name) == latin


@pytest.mark.parametrize(
    ("family", "latin"),
    [
        ("김", "Kim"), ("이", "Lee"), ("박", "Park"), ("최", "Choi"), ("정", "Jung"), ("강", "Kang"),
        ("조", "Cho"), ("윤", "Yoon"), ("임", "Lim"), ("오", "Oh"), ("신", "Shin"), ("류", "Ryu"),
        ("유", "Yoo"), ("노", "Noh"), ("문", "Moon"),
    ],
)  # fmt: skip
def test_a_common_family_name_takes_its_passport_spelling(family: str, latin: str) -> None:
    assert names.suggested_latin(family, "길동") == (latin, "Gildong")


@pytest.mark.parametrize(
    ("family", "latin"),
    [("남궁", "Namgung"), ("황보", "Hwangbo"), ("제갈", "Jegal"), ("선우", "Sunwoo"), ("독고", "Dokgo")],
)
def test_a_two_syllable_family_name_is_romanised_as_one(family: str, latin: str) -> None:
    assert names.suggested_latin(family, "민수") == (latin, "Minsu")


def test_a_family_name_outside_the_table_takes_strict_revised_romanization() -> None:
    assert "빙" not in names.SURNAMES and "강전" not in names.SURNAMES
    assert names.suggested_latin("빙", "수") == ("Bing", "Su")
    assert names.suggested_latin("강전", "수") == ("Gangjeon", "Su")


def test_a_surname_spelling_applies_to_the_family_name_only() -> None:
    assert names.suggested_latin("이", "이") == ("Lee", "I")


def test_the_surname_table_is_about_a_hundred_capitalised_latin_spellings() -> None:
    assert len(names.SURNAMES) >= 100
    for hangul, latin in names.SURNAMES.items():
        assert names.is_hangul(hangul)
        assert latin.isascii() and latin.isalpha() and latin == latin.capitalize(), hangul


def test_decomposed_input_is_read_as_the_composed_name() -> None:
    family, given_name = unicodedata.normalize("NFD", "김"), unicodedata.normalize("NFD", "수아")
    assert family != "김"
    assert names.suggested_latin(family, given_name) == ("Kim", "Sua")
    assert names.written(family, given_name) == "김수아"
    assert names.is_hangul(given_name)


@pytest.mark.parametrize(
    ("family", "given_name", "expected"),
    [
        ("", "", ("", "")),
        ("Hong", "Gildong", ("Hong", "Gildong")),  # already Latin: left as it is
        ("홍", "Gil동", ("Hong", "Gil동")),  # mixed: left as it is, not half romanised
        ("ㅎ", "ㄱㄷ", ("ㅎ", "ㄱㄷ")),  # lone jamo are no syllables to romanise
        ("  김 ", " 수아 ", ("Kim", "Sua")),
    ],
)
def test_input_that_is_not_hangul_syllables_is_returned_as_it_is(
    family: str, given_name: str, expected: tuple[str, str]
) -> None:
    assert names.suggested_latin(family, given_name) == expected


@pytest.mark.parametrize(
    ("text", "hangul"),
    [
        ("홍길동", True), ("홍 길동", True), ("ㄱㄴ", True), (unicodedata.normalize("NFD", "길동"), True),
        ("", False), ("   ", False), ("Hong", False), ("홍Gil", False), ("홍1", False), ("\u3164", False),
        ("漢字", False),
    ],
)  # fmt: skip
def test_is_hangul(text: str, hangul: bool) -> None:
    assert names.is_hangul(text) is hangul


@pytest.mark.parametrize(
    ("family", "given_name", "shown"),
    [
        ("홍", "길동", "홍길동"),
        ("남궁", "민수", "남궁민수"),
        ("Hong", "Gildong", "HONG, Gildong"),
        ("Kim", "Soo-ah", "KIM, Soo-ah"),
        ("홍", "Gildong", "홍, Gildong"),
        (" 홍 ", " 길동 ", "홍길동"),
        ("홍", "", "홍"),
        ("Hong", "", "HONG"),
        ("", "Gildong", "Gildong"),
        ("", "", ""),
    ],
)
def test_written_shows_hangul_as_one_word_and_other_scripts_as_family_comma_given(
    family: str, given_name: str, shown: str
) -> None:
    assert names.written(family, given_name) == shown


@pytest.mark.parametrize(
    ("family", "given_name", "shown"),
    [("Hong", "Gildong", "HONG, Gildong"), ("kim", "Sua", "KIM, Sua"), ("Hong", "", "HONG"), ("", "", "")],
)
def test_romanised_upper_cases_the_family_name(family: str, given_name: str, shown: str) -> None:
    assert names.romanised(family, given_name) == shown


hangul_syllables = st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1)


@given(family=hangul_syllables, given_name=hangul_syllables)
def test_any_hangul_name_gets_an_ascii_romanisation(family: str, given_name: str) -> None:
    family_latin, given_name_latin = names.suggested_latin(family, given_name)
    for latin in (family_latin, given_name_latin):
        assert latin.isascii() and latin.isalpha() and latin[0].isupper()
    assert names.romanised(family_latin, given_name_latin).isascii()


@given(family=st.text(), given_name=st.text())
def test_any_text_is_handled_without_an_error(family: str, given_name: str) -> None:
    names.suggested_latin(family, given_name)
    names.written(family, given_name)
    names.romanised(family, given_name)
    names.is_hangul(family)
