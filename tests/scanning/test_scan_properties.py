"""Properties: parse_scan never raises, and every DIN we can build survives encoding and parsing."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from batchtrack.identifiers import checkchar, din, isbt
from batchtrack.scanning import parser as scan_parser
from batchtrack.scanning.parser import DinScan, ExpiryScan, ScanRefusal

OUTCOMES = (
    scan_parser.DinScan,
    scan_parser.ProductScan,
    scan_parser.ExpiryScan,
    scan_parser.CoiScan,
    scan_parser.CompoundScan,
    ScanRefusal,
)

FIN_FIRST = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
fins = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(FIN_FIRST),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
dins = st.builds(
    lambda fin, year, sequence: din.build(fin=fin, year=year, sequence=sequence),
    fins,
    st.integers(min_value=0, max_value=2099),
    st.integers(min_value=1, max_value=999_999),
)
# Text that looks like our data, so that the parser's deeper branches are reached, not only refusals.
scan_like = st.text(alphabet="=&<>/+0123456789ABCGHKSWYOchㅉㅊㅗ가 \r\n\x1d]", max_size=60)
long_text = st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=10), st.integers(1, 100_000)
)


def _assert_outcome(raw: str) -> None:
    result = scan_parser.parse_scan(raw, prefixes=("]C0",), suffixes=("\r",), wristband_prefixes=("PT:",))
    assert isinstance(result, OUTCOMES)
    if isinstance(result, ScanRefusal):
        assert result.reasons


@settings(max_examples=500)
@given(st.text())
def test_any_text_gives_a_parse_or_a_refusal(raw: str) -> None:
    _assert_outcome(raw)


@settings(max_examples=500)
@given(scan_like)
def test_scan_like_text_gives_a_parse_or_a_refusal(raw: str) -> None:
    _assert_outcome(raw)


@settings(max_examples=50)
@given(long_text)
def test_very_long_text_is_refused_without_raising(raw: str) -> None:
    _assert_outcome(raw)


@settings(max_examples=300)
@given(st.binary())
def test_arbitrary_bytes_decoded_as_latin1_give_a_parse_or_a_refusal(data: bytes) -> None:
    _assert_outcome(data.decode("latin-1"))


@given(dins, st.sampled_from([None, "00", "01", "42", "59"]))
def test_any_built_din_survives_encode_and_parse(built: din.Din, flags: str | None) -> None:
    parsed = scan_parser.parse_scan(isbt.din_structure(built, flags=flags))
    assert isinstance(parsed, DinScan)
    assert parsed.din == built
    assert parsed.flags == (checkchar.type3_flag(built.value) if flags is None else flags)


@given(dins)
def test_any_built_din_survives_the_eye_readable_form(built: din.Din) -> None:
    parsed = scan_parser.parse_scan(din.eye_readable(built))
    assert isinstance(parsed, DinScan) and parsed.din == built


@given(dins, st.integers(min_value=1, max_value=15), st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_one_wrong_character_never_reads_as_another_din(
    built: din.Din, position: int, replacement: str
) -> None:
    structure = isbt.din_structure(built)
    changed = structure[:position] + replacement + structure[position + 1 :]
    parsed = scan_parser.parse_scan(changed)
    # Either refused, or (a flag digit turned the type-3 flags into unused or sample flags) the same DIN.
    assert isinstance(parsed, ScanRefusal) or (isinstance(parsed, DinScan) and parsed.din == built)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)))
def test_any_expiry_survives_encode_and_parse(moment: datetime) -> None:
    with_time = scan_parser.parse_scan(isbt.expiry_datetime_structure(moment))
    assert with_time == ExpiryScan(moment.replace(second=0, microsecond=0), has_time=True)
    date_only = scan_parser.parse_scan(isbt.expiry_date_structure(moment))
    assert date_only == ExpiryScan(
        moment.replace(hour=23, minute=59, second=0, microsecond=0), has_time=False
    )
