"""Cleaning: what scanners add around the data is stripped; what cannot be a scan is refused."""

from __future__ import annotations

import time

import pytest

from batchtrack.errors import Reason
from batchtrack.scanning import cleaning

DIN_STRUCTURE = "=G12341765432170"


@pytest.mark.parametrize("aim", ["]C0", "]d2", "]Q3", "]E0", "]D2"])
def test_aim_symbology_identifier_is_stripped(aim: str) -> None:
    assert cleaning.clean(f"{aim}{DIN_STRUCTURE}") == DIN_STRUCTURE


@pytest.mark.parametrize("suffix", ["\r\n", "\r", "\n", "\t", "\x04", "\x1d", "\x1e", "\x00", "  \r\n"])
def test_terminators_and_control_characters_are_stripped(suffix: str) -> None:
    assert cleaning.clean(f"{DIN_STRUCTURE}{suffix}") == DIN_STRUCTURE


def test_control_characters_inside_the_data_are_removed() -> None:
    assert cleaning.clean("\x02=G1234176\x1d5432170\x03") == DIN_STRUCTURE


def test_configured_prefix_and_suffix_are_stripped_around_the_aim_identifier() -> None:
    raw = "STX]C0=G12341765432170ETX\r\n"
    assert cleaning.clean(raw, prefixes=["STX"], suffixes=["ETX"]) == DIN_STRUCTURE
    assert cleaning.clean("]C0STX=G12341765432170", prefixes=["STX"]) == DIN_STRUCTURE


def test_configured_prefix_typed_in_hangul_mode_is_still_stripped() -> None:
    # "st" typed on a 2-beolsik keyboard in Hangul mode: ㄴ then ㅅ.
    assert cleaning.clean("ㄴㅅ=G12341765432170", prefixes=["st"]) == DIN_STRUCTURE


@pytest.mark.parametrize("raw", ["", "   ", "\r\n", "\x00\x00", "]C0", "]C0\r\n"])
def test_empty_scan_is_refused(raw: str) -> None:
    assert cleaning.clean(raw) == Reason("scan.empty", "nothing was scanned")


def test_too_long_scan_is_refused() -> None:
    result = cleaning.clean("=" * (cleaning.MAX_LENGTH + 1))
    assert isinstance(result, Reason) and result.code == "scan.too_long"


def test_huge_input_is_refused_cheaply() -> None:
    huge = "x" * 10_000_000
    started = time.perf_counter()
    result = cleaning.clean(huge)
    assert isinstance(result, Reason) and result.code == "scan.too_long"
    assert time.perf_counter() - started < 0.01


@pytest.mark.parametrize(
    "raw", ["=G12341765432170é", "\uff1dG12341765432170", "\ufeff=G12341765432170", "ㅥ"]
)
def test_characters_outside_printable_ascii_are_refused(raw: str) -> None:
    result = cleaning.clean(raw)
    assert isinstance(result, Reason) and result.code == "scan.characters"
    assert result.message.isascii()
