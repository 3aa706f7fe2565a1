"""Undo a Korean IME in Hangul mode (2-beolsik): map jamo and composed syllables back to QWERTY keys."""

from __future__ import annotations

import unicodedata

# The 2-beolsik (KS X 5002) keyboard: which keys type each jamo. Scanners send our data in upper case
# (Shift + letter); on 2-beolsik, Shift changes only Q W E R T O P (to ㅃ ㅉ ㄸ ㄲ ㅆ ㅒ ㅖ) and every other
# letter types the same jamo with or without Shift. So a jamo cannot tell us the case, and as every
# letter in our identifiers is upper case, each jamo maps to the UPPER-case key (ㅂ and ㅃ both give Q).
# Compound vowels are typed as two keys; the IME composes them (ㅗ then ㅏ gives ㅘ).
_ROWS = (
    ("QWERTYUIOP", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ"),
    ("ASDFGHJKL", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ"),
    ("ZXCVBNM", "ㅋㅌㅊㅍㅠㅜㅡ"),
    ("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ"),  # with Shift
)
_KEYS: dict[str, str] = {
    **{jamo: key for keys, jamos in _ROWS for key, jamo in zip(keys, jamos, strict=True)},
    **{"ㅘ": "HK", "ㅙ": "HO", "ㅚ": "HL", "ㅝ": "NJ", "ㅞ": "NP", "ㅟ": "NL", "ㅢ": "ML"},
}

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3
_LEAD_BASE, _VOWEL_BASE, _TAIL_BASE = 0x1100, 0x1161, 0x11A7
_VOWEL_COUNT, _TAIL_COUNT = 21, 28

# The conjoining jamo that modern syllables are made of (19 initials, 21 medials, 27 finals). Old
# letters outside these ranges cannot be typed on 2-beolsik, so they are left alone (and later refused).
_MODERN_CONJOINING = (*range(0x1100, 0x1113), *range(0x1161, 0x1176), *range(0x11A8, 0x11C3))


def _letter(character: str) -> str:
    """The jamo's letter name: `HANGUL LETTER KIYEOK` and `HANGUL CHOSEONG KIYEOK` both give `KIYEOK`."""
    return unicodedata.name(character).split(" ", 2)[2]


def _build_table() -> dict[int, str]:
    """Keys for every typeable jamo, compatibility (U+3131-318E) and conjoining, found by Unicode name."""
    by_letter = {_letter(jamo): keys for jamo, keys in _KEYS.items()}
    table: dict[int, str] = {}
    for code_point in _MODERN_CONJOINING:
        letter = _letter(chr(code_point))
        # Double finals are named after their parts (RIEUL-KIYEOK is ㄹ then ㄱ, typed F then R).
        keys = by_letter.get(letter) or "".join(by_letter[part] for part in letter.split("-"))
        table[code_point] = keys
        table[ord(unicodedata.lookup(f"HANGUL LETTER {letter}"))] = keys
    return table


class _KeyTable(dict[int, str]):
    """A `str.translate` table that also decomposes precomposed syllables arithmetically."""

    def __missing__(self, code_point: int) -> str:
        if not _SYLLABLE_FIRST <= code_point <= _SYLLABLE_LAST:
            raise KeyError(code_point)  # str.translate then keeps the character as it is
        index = code_point - _SYLLABLE_FIRST
        lead, rest = divmod(index, _VOWEL_COUNT * _TAIL_COUNT)
        vowel, tail = divmod(rest, _TAIL_COUNT)
        keys = self[_LEAD_BASE + lead] + self[_VOWEL_BASE + vowel]
        return keys + self[_TAIL_BASE + tail] if tail else keys


_TABLE = _KeyTable(_build_table())


def to_qwerty(text: str) -> str:
    """Map Hangul jamo and syllables to the QWERTY keys that typed them; anything else passes unchanged."""
    if text.isascii():
        return text  # the usual case: nothing to undo, and no per-character work on the hot path
    return text.translate(_TABLE)
