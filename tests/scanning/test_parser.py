"""Parsing: every data structure of our labels is read back exactly; anything malformed is refused by code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batchtrack.identifiers import checkchar, coi, din, isbt
from batchtrack.scanning import parser as scan_parser
from batchtrack.scanning.parser import CoiScan, CompoundScan, DinScan, ExpiryScan, ProductScan, ScanRefusal

COI = coi.parse("CHW000026000001")


def refusal_codes(raw: str, **options: tuple[str, ...]) -> list[str]:
    result = scan_parser.parse_scan(raw, **options)
    assert isinstance(result, ScanRefusal), result
    return [reason.code for reason in result.reasons]


# Published examples of ISO 7064 MOD 37-2 on DINs, and the type-3 flags that carry them.
@pytest.mark.parametrize(
    ("value", "check", "flags"),
    [("G123417654321", "A", "70"), ("W000009123456", "G", "76"), ("A999820123456", "E", "74")],
)
def test_published_din_examples_parse_with_type3_flags(value: str, check: str, flags: str) -> None:
    parsed = scan_parser.parse_scan(f"={value}{flags}")
    assert isinstance(parsed, DinScan)
    assert (parsed.din.value, parsed.din.check, parsed.flags) == (value, check, flags)
    assert parsed.sample_flag == "00"


def test_din_round_trips_through_the_encoder() -> None:
    built = din.build(fin="W0000", year=2026, sequence=1)
    for flags in (None, "00", "07"):
        parsed = scan_parser.parse_scan(isbt.din_structure(built, flags=flags))
        assert isinstance(parsed, DinScan) and parsed.din == built
    parsed = scan_parser.parse_scan(isbt.din_structure(built, flags="07"))
    assert isinstance(parsed, DinScan) and parsed.sample_flag == "07"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("=G12341765432171", "din.flag_check"),
        ("=G12341765432160", "din.flag_check"),
        ("=G123417654321AB", "din.flags"),
        ("=G12341765432199", "din.flags_reserved"),
        ("=g12341765432170", "din.lower_case"),
        ("=O12341765432170", "din.fin_first"),
        ("=012341765432170", "din.fin_first"),
        ("=G1234176543217", "din.length"),
        ("=G1234176543217000", "din.length"),
        ("=G12A41765432170", "din.characters"),
        ("G123417654321B", "din.check_character"),
        ("g123417654321a", "din.lower_case"),
        ("O123417654321A", "din.fin_first"),
        ("G123417654321", "scan.check_missing"),
    ],
)
def test_malformed_din_is_refused_with_its_reason(raw: str, code: str) -> None:
    assert refusal_codes(raw) == [code]


def test_eye_readable_din_with_spaces_gives_the_same_din() -> None:
    built = din.parse("G123417654321")
    for typed in (din.eye_readable(built), "G123417654321A", " G1234 17 654321 A "):
        parsed = scan_parser.parse_scan(typed)
        assert isinstance(parsed, DinScan) and parsed.din == built and parsed.keyed


def test_product_code_round_trips() -> None:
    for description, collection_type, division in [("S1234", "1", "00"), ("Y0A9Z", "2", "B3")]:
        code = isbt.product_code(description, collection_type, division)
        parsed = scan_parser.parse_scan(isbt.product_structure(code))
        assert parsed == ProductScan(code, description, collection_type, division)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("=<S1234300", "product.collection_type"),
        ("=<X1234100", "product.description"),
        ("=<s1234100", "product.description"),
        ("=<S12341", "product.length"),
    ],
)
def test_malformed_product_code_is_refused(raw: str, code: str) -> None:
    assert refusal_codes(raw) == [code]


def test_expiry_date_round_trips_and_means_2359_utc() -> None:
    parsed = scan_parser.parse_scan(isbt.expiry_date_structure(datetime(2024, 12, 31, 8, 0, tzinfo=UTC)))
    assert parsed == ExpiryScan(datetime(2024, 12, 31, 23, 59, tzinfo=UTC), has_time=False)


def test_expiry_date_and_time_round_trips() -> None:
    moment = datetime(2026, 3, 1, 14, 45, tzinfo=UTC)
    parsed = scan_parser.parse_scan(isbt.expiry_datetime_structure(moment))
    assert parsed == ExpiryScan(moment, has_time=True)
    assert isinstance(parsed, ExpiryScan) and parsed.moment.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("=>025000", "expiry.day"),
        ("=>025366", "expiry.day"),
        ("&>0250322400", "expiry.hour"),
        ("&>0250321260", "expiry.minute"),
        ("=>02503A", "expiry.characters"),
        ("=>02503", "expiry.length"),
    ],
)
def test_impossible_expiry_is_refused(raw: str, code: str) -> None:
    assert refusal_codes(raw) == [code]


def test_leap_day_366_is_a_day() -> None:
    parsed = scan_parser.parse_scan("=>024366")
    assert isinstance(parsed, ExpiryScan) and parsed.moment == datetime(2024, 12, 31, 23, 59, tzinfo=UTC)


def test_coi_structure_and_eye_readable_round_trip() -> None:
    assert scan_parser.parse_scan(isbt.coi_structure(COI)) == CoiScan(COI)
    assert scan_parser.parse_scan(coi.eye_readable(COI)) == CoiScan(COI, keyed=True)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("&/chw000026000001", "coi.lower_case"),
        ("&/CHO000026000001", "coi.fin_first"),
        ("&/CHW00002600001", "coi.length"),
        (f"CHW000026000001 {'A' if COI.check != 'A' else 'B'}", "coi.check_character"),
        ("CHW000026000001", "scan.check_missing"),
    ],
)
def test_malformed_coi_is_refused(raw: str, code: str) -> None:
    assert refusal_codes(raw) == [code]


def test_wristband_carries_the_coi_identifier() -> None:
    options = {"wristband_prefixes": ("PT:",)}
    for raw in (f"PT:{isbt.coi_structure(COI)}", "PT:CHW000026000001", f"PT:{coi.eye_readable(COI)}"):
        assert scan_parser.parse_scan(raw, **options) == CoiScan(COI, wristband=True)
    assert refusal_codes("PT:=G12341765432170", **options) == ["coi.prefix"]


def test_compound_message_round_trips() -> None:
    built = din.parse("W000009123456")
    structures = [
        isbt.din_structure(built),
        isbt.product_structure(isbt.product_code("S1234", "1")),
        isbt.expiry_datetime_structure(datetime(2026, 5, 4, 10, 30, tzinfo=UTC)),
        isbt.coi_structure(COI),
    ]
    parsed = scan_parser.parse_scan(isbt.compound_message(structures))
    assert isinstance(parsed, CompoundScan) and parsed.order == "000"
    assert [type(part) for part in parsed.parts] == [DinScan, ProductScan, ExpiryScan, CoiScan]
    identity = scan_parser.identity_of(parsed)
    assert (identity.din, identity.product_code, identity.coi) == ("W000009123456", "S1234100", COI.value)


def _compound(count: int, structures: list[str]) -> str:
    return f"=+{count:02d}000{''.join(structures)}"


TWO = ["=G12341765432170", "=<S1234100"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (_compound(3, TWO), "compound.short"),
        (_compound(1, TWO), "compound.long"),
        (_compound(0, TWO), "compound.count"),
        (_compound(2, ["=G12341765432170", "=<S1234"]), "compound.truncated"),
        (_compound(2, ["=G12341765432170", "=?S1234100"]), "scan.unknown_identifier"),
        (_compound(2, ["=G12341765432170", "=+01000"]), "compound.nested"),
        (_compound(2, ["=G12341765432170", "=W00000912345676"]), "compound.duplicate"),
        (_compound(2, ["=>025032", "&>0250321200"]), "compound.duplicate"),
        (_compound(2, ["=G12341765432171", "=<S1234100"]), "din.flag_check"),
        ("=+2", "compound.header"),
    ],
)
def test_malformed_compound_message_is_refused(raw: str, code: str) -> None:
    assert refusal_codes(raw) == [code]


def test_structures_run_together_without_compound_header_are_refused() -> None:
    assert refusal_codes("".join(TWO)) == ["scan.several_structures"]


@pytest.mark.parametrize(
    ("raw", "code"), [("=%12345", "scan.unknown_identifier"), ("hello", "scan.unrecognised")]
)
def test_unknown_input_is_refused(raw: str, code: str) -> None:
    assert refusal_codes(raw) == [code]


def test_scanner_prefix_aim_identifier_and_suffix_are_stripped() -> None:
    flags = checkchar.type3_flag("G123417654321")
    parsed = scan_parser.parse_scan(f"#]C0=G123417654321{flags}!\r\n", prefixes=("#",), suffixes=("!",))
    assert isinstance(parsed, DinScan) and parsed.flags == "70"
