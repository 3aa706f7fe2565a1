"""Properties of every identifier parser: any text gives a value or an IdentifierError (never another exception),
what is formatted parses back to the same value, and one changed character of an identifier typed with its
check character is always refused."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from batchtrack.identifiers import checkchar, coi, din, isbt
from batchtrack.identifiers.din import IdentifierError
from batchtrack.labels import printing
from batchtrack.models.user import Role
from batchtrack.scanning import parser as scan_parser

from builders import UserHandle

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]

FIN_FIRST = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
CHECK_ALPHABET = checkchar.ALPHABET
fins = st.builds(lambda first, rest: first + rest, st.sampled_from(FIN_FIRST),
                 st.text(alphabet="0123456789", min_size=4, max_size=4))
years = st.integers(min_value=0, max_value=2099)
sequences = st.integers(min_value=1, max_value=999_999)
dins = st.builds(lambda fin, year, sequence: din.build(fin=fin, year=year, sequence=sequence), fins, years, sequences)
cois = st.builds(lambda fin, year, sequence: coi.build(fin=fin, year=year, sequence=sequence), fins, years, sequences)
# Text near the identifiers' own alphabet reaches every rule, not only the length check; any text reaches the rest.
identifier_like = st.one_of(
    st.text(),
    st.text(alphabet="CHO0W123456789ABGKXYZ*ochw ²٣\u00a0\t", max_size=20),
    st.builds(lambda value, cut: value[:cut], dins.map(lambda d: d.value + d.check), st.integers(0, 16)),
    st.builds(lambda value, cut: value[:cut], cois.map(lambda c: c.value + c.check), st.integers(0, 18)),
)


def _refused_or(parse: object, text: str) -> None:
    assert callable(parse)
    try:
        parse(text)
    except IdentifierError as refusal:
        assert refusal.code and refusal.message


@given(identifier_like)
def test_any_text_is_a_din_or_an_identifier_error(text: str) -> None:
    _refused_or(din.parse, text)
    _refused_or(din.parse_eye_readable, text)
    _refused_or(lambda t: din.parse(t[:13], check=t[13:14] or None), text)


@given(identifier_like)
def test_any_text_is_a_coi_or_an_identifier_error(text: str) -> None:
    _refused_or(coi.parse, text)
    _refused_or(coi.parse_eye_readable, text)
    _refused_or(lambda t: coi.parse(t[:15], check=t[15:16] or None), text)


@given(st.text(max_size=4))
@example("²²")  # digits to str.isdigit, not to int()
@example("٦٠")  # Arabic-Indic 60
def test_any_flag_pair_has_a_checksum_value_or_none(flags: str) -> None:
    value = checkchar.flag_value(flags)
    assert value is None or (0 <= value <= 36 and flags == f"{60 + value}")


@given(dins)
def test_a_din_round_trips_through_its_eye_readable_form_and_its_flags(built: din.Din) -> None:
    assert din.parse_eye_readable(din.eye_readable(built)) == built
    assert din.parse(built.value, check=built.check) == built
    assert checkchar.flag_value(checkchar.type3_flag(built.value)) == CHECK_ALPHABET.index(built.check)


@given(cois)
def test_a_coi_round_trips_through_its_eye_readable_form_and_its_barcode(built: coi.CoiIdentifier) -> None:
    assert coi.parse_eye_readable(coi.eye_readable(built)) == built
    parsed = scan_parser.parse_scan(isbt.coi_structure(built))
    assert isinstance(parsed, scan_parser.CoiScan) and parsed.coi == built


@given(dins, st.integers(min_value=0, max_value=13), st.sampled_from(CHECK_ALPHABET + "o0 "))
def test_one_changed_character_of_a_keyed_din_is_refused(built: din.Din, position: int, replacement: str) -> None:
    keyed = built.value + built.check
    changed = keyed[:position] + replacement + keyed[position + 1:]
    if changed == keyed:
        return
    try:
        din.parse_eye_readable(changed)
    except IdentifierError:
        return
    raise AssertionError(f"{changed!r} (one character off {keyed!r}) was accepted")


@given(cois, st.integers(min_value=0, max_value=15), st.sampled_from(CHECK_ALPHABET + "o0 "))
def test_one_changed_character_of_a_keyed_coi_is_refused(built: coi.CoiIdentifier, position: int,
                                                         replacement: str) -> None:
    keyed = built.value + built.check
    changed = keyed[:position] + replacement + keyed[position + 1:]
    if changed == keyed:
        return
    try:
        coi.parse_eye_readable(changed)
    except IdentifierError:
        return
    raise AssertionError(f"{changed!r} (one character off {keyed!r}) was accepted")


descriptions = st.builds(lambda first, rest: first + rest, st.sampled_from("SY"),
                         st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4))


@given(descriptions, st.sampled_from("12"), st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2,
                                                    max_size=2))
def test_a_product_code_round_trips_through_its_barcode(description: str, collection_type: str,
                                                        division: str) -> None:
    code = isbt.product_code(description, collection_type, division)
    parsed = scan_parser.parse_scan(isbt.product_structure(code))
    assert parsed == scan_parser.ProductScan(code, description, collection_type, division)


@given(st.text(max_size=8), st.text(max_size=3), st.text(max_size=4))
def test_any_product_code_parts_are_a_code_or_an_identifier_error(description: str, collection_type: str,
                                                                  division: str) -> None:
    _refused_or(lambda _: isbt.product_code(description, collection_type, division), "")


@given(dins, cois, descriptions, st.sampled_from("12"))
def test_a_labels_compound_message_round_trips(built: din.Din, therapy: coi.CoiIdentifier, description: str,
                                               collection_type: str) -> None:
    code = isbt.product_code(description, collection_type)
    message = isbt.compound_message([isbt.din_structure(built), isbt.product_structure(code),
                                     isbt.coi_structure(therapy)])
    parsed = scan_parser.parse_scan(message)
    assert isinstance(parsed, scan_parser.CompoundScan)
    assert [type(part) for part in parsed.parts] == [scan_parser.DinScan, scan_parser.ProductScan,
                                                     scan_parser.CoiScan]
    assert scan_parser.identity_of(parsed) == scan_parser.ScanIdentity(
        din=built.value, product_code=code, division="00", coi=therapy.value)


printer_like = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789abcdef.:[]%-zebra ²", max_size=40),
)


@given(printer_like)
def test_any_printer_text_is_an_address_or_a_value_error_and_round_trips(text: str) -> None:
    try:
        address = printing.parse_printer(text)
    except ValueError as refusal:
        assert str(refusal)
        return
    assert 1 <= address.port <= 65535
    assert printing.parse_printer(str(address)) == address


@pytest.fixture
def reviewer(as_role: ClientFactory) -> TestClient:
    """An API client holding every role, shared by the generated requests of one test."""
    return as_role(*Role)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(identifier_like)
@example("W000026000001")
@example("CHW000026000001")
@example("../../etc/passwd")
def test_any_identifier_in_a_path_is_found_or_refused_with_a_reason(reviewer: TestClient, text: str) -> None:
    for template in ("/api/v1/lots/{}", "/api/v1/therapies/{}", "/api/v1/collections/{}", "/api/v1/recipients/{}"):
        response = reviewer.get(template.format(quote(text, safe="")))
        assert response.status_code in (200, 404, 422), (template, text, response.status_code)
        if response.status_code != 200:
            assert response.json()["message"], (template, text)
