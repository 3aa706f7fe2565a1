"""Every well-formed identifier fits every layout at both printer resolutions, quiet zones included."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts, render_zpl, symbols

FIN_FIRST = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
DIGITS = "0123456789"
ALNUM = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

fins = st.builds(lambda a, b: a + b, st.sampled_from(FIN_FIRST), st.text(DIGITS, min_size=4, max_size=4))
dins = st.builds(lambda fin, rest: din_ids.parse(fin + rest), fins, st.text(DIGITS, min_size=8, max_size=8))
cois = st.builds(
    lambda fin, year, serial: coi_ids.parse(f"CH{fin}{year}{serial}"),
    fins,
    st.text(DIGITS, min_size=2, max_size=2),
    st.text(ALNUM, min_size=6, max_size=6),
)
product_codes = st.builds(
    lambda code, kind, division: f"S{code}{kind}{division}",
    st.text(ALNUM, min_size=4, max_size=4),
    st.sampled_from("12"),
    st.text(ALNUM, min_size=2, max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(din=dins, coi=cois, product_code=product_codes)
def test_symbols_fit_their_boxes_and_zpl_carries_them(
    din: din_ids.Din, coi: coi_ids.CoiIdentifier, product_code: str
) -> None:
    base = label_content.preview_content(directed=product_code[5] == "2")
    content = dataclasses.replace(base, din=din, coi=coi, product_code=product_code, use_statement=None)
    for kind in layouts.KINDS:
        layout = layouts.load_layout(kind)
        for element, data in label_content.bound_barcodes(layout, content):
            symbol = symbols.make_symbol(element.symbology, data)
            for dpi in (203, 300):
                symbols.place(element, symbol, dpi)  # raises if the symbol would not fit
            if symbol.linear:
                assert _zebra_code128_text(render_zpl.code128_field(symbol)) == data


def _zebra_code128_text(field: str) -> str:
    """Read ^BC mode-N field data back as a Zebra printer does (ZPL II guide, Code 128 invocation codes)."""
    starts = {">9": "A", ">:": "B", ">;": "C"}
    subset, i, out = starts.get(field[:2], "B"), (2 if field[:2] in starts else 0), []
    while i < len(field):
        if field[i] == ">":
            code = field[i + 1]
            i += 2
            if code == "0":
                out.append(">")
            elif code in "567":
                subset = {"5": "C", "6": "B", "7": "A"}[code]
            else:
                pytest.fail(f"unexpected invocation >{code} in {field!r}")
        elif subset == "C":
            pair = field[i : i + 2]
            assert pair.isdigit() and len(pair) == 2, field
            out.append(pair)
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)
