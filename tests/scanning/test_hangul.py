"""Hangul mode: jamo and composed syllables typed by a scanner map back to the QWERTY keys."""

from __future__ import annotations

import unicodedata

import pytest

from batchtrack.identifiers import checkchar
from batchtrack.scanning import hangul
from batchtrack.scanning import parser as scan_parser

# What each key types on a 2-beolsik keyboard in Hangul mode, written out here independently of the code.
UNSHIFTED = {
    **dict(zip("QWERTYUIOP", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", strict=True)),
    **dict(zip("ASDFGHJKL", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", strict=True)),
    **dict(zip("ZXCVBNM", "ㅋㅌㅊㅍㅠㅜㅡ", strict=True)),
}
SHIFTED = {**UNSHIFTED, "Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ"}


def typed_in_hangul_mode(text: str, *, shift: bool = True) -> str:
    """What a keyboard-wedge scanner produces for `text` while the IME is in Hangul mode (no composition)."""
    keys = SHIFTED if shift else UNSHIFTED
    return "".join(keys.get(character, character) for character in text)


def syllable(initial: str, medial: str, final: str = "") -> str:
    """Compose a syllable from compatibility jamo, as the IME does (Unicode's arithmetic composition)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKD", initial + medial + final))


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("ㅈ", "W"),
        ("ㅉ", "W"),
        ("ㅂㅃ", "QQ"),
        ("가", "RK"),
        ("초", "CH"),
        ("값", "RKQT"),  # double final ㅄ is two keys
        ("뷁", "QNPFR"),  # double medial ㅞ and double final ㄺ
        ("ㅘ", "HK"),
        ("ㄳ", "RT"),
        ("ㄲ", "R"),
        ("\u1100\u1161", "RK"),  # decomposed (conjoining) jamo, as some systems send them
        ("=&/<>+0123456789 ", "=&/<>+0123456789 "),
    ],
)
def test_jamo_and_syllables_map_back_to_keys(typed: str, keys: str) -> None:
    assert hangul.to_qwerty(typed) == keys


def test_every_modern_jamo_and_syllable_maps_to_upper_case_letters() -> None:
    # U+3131-U+3163: the 51 jamo of modern Korean, all typeable on 2-beolsik.
    jamo = "".join(chr(code_point) for code_point in range(0x3131, 0x3164))
    syllables = "".join(chr(code_point) for code_point in range(0xAC00, 0xD7A4))
    for text in (jamo, syllables):
        mapped = hangul.to_qwerty(text)
        assert mapped.isascii() and mapped.isalpha() and mapped.isupper()


def test_old_letters_that_no_key_types_are_left_for_refusal() -> None:
    assert hangul.to_qwerty("ㅥㆍ") == "ㅥㆍ"


def test_syllable_helper_composes_like_the_ime() -> None:
    assert syllable("ㄱ", "ㅏ") == "가"


@pytest.mark.parametrize("shift", [True, False])
def test_din_typed_in_hangul_mode_parses(shift: bool) -> None:
    flags = checkchar.type3_flag("W000026000001")
    raw = typed_in_hangul_mode(f"=W000026000001{flags}\r\n", shift=shift)
    assert "ㅉ" in raw or "ㅈ" in raw
    parsed = scan_parser.parse_scan(raw)
    assert isinstance(parsed, scan_parser.DinScan)
    assert parsed.din.value == "W000026000001" and parsed.flags == flags


def test_coi_typed_in_hangul_mode_with_composed_syllable_parses() -> None:
    # C then H is ㅊ then ㅗ, which the IME composes into 초; ㅉ cannot be a final, so it stands alone.
    raw = "&/" + syllable("ㅊ", "ㅗ") + "ㅉ000026000001"
    assert raw == "&/초ㅉ000026000001"
    parsed = scan_parser.parse_scan(raw)
    assert isinstance(parsed, scan_parser.CoiScan)
    assert parsed.coi.value == "CHW000026000001"


def test_aim_identifier_typed_in_hangul_mode_is_stripped() -> None:
    raw = typed_in_hangul_mode("]d2=W00002600000100\r\n", shift=False)
    parsed = scan_parser.parse_scan(raw)
    assert isinstance(parsed, scan_parser.DinScan) and parsed.flags == "00"
