"""What a label encodes is what the station scan pipeline accepts: no label the scanners would refuse."""

from __future__ import annotations

import pytest

from batchtrack.labels import content as label_content
from batchtrack.labels import layouts
from batchtrack.labels.content import LabelContent
from batchtrack.scanning import parser


@pytest.mark.parametrize("kind", layouts.KINDS)
def test_every_identity_barcode_parses_at_a_station(kind: str, demo: LabelContent) -> None:
    for element_id, (symbology, data) in label_content.encoded_barcodes(layouts.load_layout(kind), demo).items():
        if symbology == "qr":
            continue  # the bedside link is a URL, not an ISBT 128 data structure
        parsed = parser.parse_cleaned(data)
        assert not isinstance(parsed, parser.ScanRefusal), (element_id, data, parsed)


def test_final_product_compound_message_splits_into_its_four_structures(demo: LabelContent) -> None:
    data = label_content.encoded_barcodes(layouts.load_layout("final_product"), demo)["compound_datamatrix"][1]
    parsed = parser.parse_cleaned(data)
    assert isinstance(parsed, parser.CompoundScan)
    assert [type(part).__name__ for part in parsed.parts] == ["DinScan", "ProductScan", "ExpiryScan", "CoiScan"]
