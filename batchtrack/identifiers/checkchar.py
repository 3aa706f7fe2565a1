"""ISO/IEC 7064 MOD 37-2 check characters and ISBT 128 type-3 flags (python-stdnum does the arithmetic)."""

from __future__ import annotations

from stdnum.iso7064 import mod_37_2

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def check_character(data: str) -> str:
    """Return the MOD 37-2 check character K of `data` (0-9, A-Z or *)."""
    return str(mod_37_2.calc_check_digit(data))


def check_value(data: str) -> int:
    """Return K as its numeric value 0-36."""
    return ALPHABET.index(check_character(data))


def type3_flag(data: str) -> str:
    """Return the ISBT 128 type-3 flag pair: 60 plus the checksum value (for example 70 for K = A)."""
    return f"{60 + check_value(data):02d}"


def flag_value(flags: str) -> int | None:
    """Return the checksum value carried by a type-3 flag pair, or None for flags of another type."""
    if len(flags) == 2 and flags.isascii() and flags.isdigit() and 60 <= int(flags) <= 96:
        return int(flags) - 60
    return None
