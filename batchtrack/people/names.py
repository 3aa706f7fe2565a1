"""Names as their owners write them and as they are romanised (Revised Romanization of Korean).

Pure functions: no I/O, no settings. Every function reads its input in Unicode NFC, so a name typed or pasted
as decomposed jamo (NFD, as some keyboards and macOS file names produce) is the same name as the composed one.
"""

from __future__ import annotations

import unicodedata

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3

# Hangul Jamo, Compatibility Jamo, Jamo Extended-A and -B; the invisible fillers are not letters of a name.
_JAMO_RANGES = ((0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))
_FILLERS = frozenset({0x115F, 0x1160, 0x3164})

# Revised Romanization (Ministry of Culture and Tourism notice 2000-8), in the order of the Unicode syllable block.
INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
MEDIALS = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae",
    "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i",
)  # fmt: skip
# A final is written as it sounds at the end of a syllable (ㄷ ㅅ ㅆ ㅈ ㅊ ㅌ ㅎ all "t"); a double final as the one
# consonant it is pronounced by alone (닭 dak, 삶 sam, 여덟 yeodeol, 읊 eup, 값 gap).
FINALS = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l",
    "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
)  # fmt: skip
_RIEUL_INITIAL = 5
_RIEUL_FINAL = 8

# Family names in the spelling customary in Korean passports (the Ministry of Foreign Affairs' list of the common
# spellings), which most holders use instead of strict Revised Romanization (이 Lee rather than I).
SURNAMES: dict[str, str] = {
    "김": "Kim", "이": "Lee", "박": "Park", "최": "Choi", "정": "Jung", "강": "Kang", "조": "Cho",
    "윤": "Yoon", "장": "Jang", "임": "Lim", "한": "Han", "오": "Oh", "서": "Seo", "신": "Shin",
    "권": "Kwon", "황": "Hwang", "안": "Ahn", "송": "Song", "류": "Ryu", "유": "Yoo", "전": "Jeon",
    "홍": "Hong", "고": "Ko", "문": "Moon", "양": "Yang", "손": "Son", "배": "Bae", "백": "Baek",
    "허": "Heo", "남": "Nam", "심": "Shim", "노": "Noh", "하": "Ha", "곽": "Kwak", "성": "Sung",
    "차": "Cha", "주": "Joo", "우": "Woo", "구": "Koo", "민": "Min", "진": "Jin", "나": "Na",
    "지": "Ji", "엄": "Eom", "채": "Chae", "원": "Won", "천": "Chun", "방": "Bang", "공": "Kong",
    "현": "Hyun", "함": "Ham", "변": "Byun", "염": "Yeom", "여": "Yeo", "추": "Choo", "도": "Do",
    "소": "So", "석": "Seok", "선": "Sun", "설": "Seol", "마": "Ma", "길": "Gil", "연": "Yeon",
    "위": "Wi", "표": "Pyo", "명": "Myung", "기": "Ki", "반": "Ban", "라": "Ra", "왕": "Wang",
    "금": "Keum", "옥": "Ok", "육": "Yook", "인": "In", "맹": "Maeng", "제": "Je", "모": "Mo",
    "탁": "Tak", "국": "Kook", "어": "Eo", "은": "Eun", "편": "Pyeon", "용": "Yong", "예": "Ye",
    "경": "Kyung", "봉": "Bong", "사": "Sa", "부": "Boo", "가": "Ka", "형": "Hyung", "피": "Pi",
    "감": "Kam", "승": "Seung", "태": "Tae", "상": "Sang", "빈": "Bin", "호": "Ho", "두": "Doo",
    "계": "Kye", "갈": "Kal", "범": "Beom", "목": "Mok", "간": "Kan", "판": "Pan",
    "황보": "Hwangbo", "남궁": "Namgung", "제갈": "Jegal", "선우": "Sunwoo", "독고": "Dokgo",
    "사공": "Sagong", "서문": "Seomun", "동방": "Dongbang", "망절": "Mangjeol", "어금": "Eogeum",
}  # fmt: skip


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_hangul_char(char: str) -> bool:
    code = ord(char)
    if _SYLLABLE_FIRST <= code <= _SYLLABLE_LAST:
        return True
    return code not in _FILLERS and any(first <= code <= last for first, last in _JAMO_RANGES)


def _is_syllable(char: str) -> bool:
    return _SYLLABLE_FIRST <= ord(char) <= _SYLLABLE_LAST


def is_hangul(text: str) -> bool:
    """True when text has at least one letter and every character but spaces is a Hangul syllable or jamo."""
    letters = [char for char in _nfc(text) if not char.isspace()]
    return bool(letters) and all(_is_hangul_char(char) for char in letters)


def _joined(family: str, given: str) -> str:
    """The labels' fixed format "FAMILY, Given", without the comma when one part is missing."""
    if family and given:
        return f"{family.upper()}, {given}"
    return family.upper() or given


def written(family: str, given: str) -> str:
    """The name as its owner writes it: Hangul "홍길동" (no space), any other script "HONG, Gildong"."""
    family, given = _nfc(family).strip(), _nfc(given).strip()
    parts = [part for part in (family, given) if part]
    if parts and all(is_hangul(part) for part in parts):
        return "".join(parts)
    return _joined(family, given)


def romanised(family_latin: str, given_latin: str) -> str:
    """The romanised name "HONG, Gildong" (family upper-cased); "" when neither part is recorded."""
    return _joined(_nfc(family_latin).strip(), _nfc(given_latin).strip())


def _syllables(word: str) -> str:
    """Strict Revised Romanization of a word of Hangul syllables, one syllable after the other.

    Personal names take no sound changes across syllables (한복남 Hanboknam, not Hanbongnam); the one letter rule
    across syllables Revised Romanization itself makes is kept: ㄹㄹ is written "ll", not "lr".
    """
    out: list[str] = []
    previous_final = 0
    for char in word:
        index = ord(char) - _SYLLABLE_FIRST
        initial, medial, final = index // 588, (index % 588) // 28, index % 28
        onset = "l" if initial == _RIEUL_INITIAL and previous_final == _RIEUL_FINAL else INITIALS[initial]
        out.append(onset + MEDIALS[medial] + FINALS[final])
        previous_final = final
    return "".join(out)


def _romanised_words(text: str) -> str | None:
    """Each word romanised and capitalised, or None when text is not wholly Hangul syllables and spaces."""
    words = text.split()
    if not words or not all(_is_syllable(char) for word in words for char in word):
        return None
    return " ".join(_syllables(word).capitalize() for word in words)


def suggested_latin(family: str, given: str) -> tuple[str, str]:
    """A suggested romanisation (family, given) of a Hangul name, for a person to confirm or correct.

    The family name takes its customary passport spelling when it is a common surname (김 Kim, 남궁 Namgung),
    strict Revised Romanization otherwise; the given name strict Revised Romanization joined without a hyphen
    (길동 Gildong). A part that is not wholly Hangul syllables (Latin letters, a lone jamo, mixed) is returned as
    it is.
    """
    family, given = _nfc(family).strip(), _nfc(given).strip()
    family_latin = SURNAMES.get(family) or _romanised_words(family) or family
    given_latin = _romanised_words(given) or given
    return family_latin, given_latin
