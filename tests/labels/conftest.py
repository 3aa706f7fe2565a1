"""Fixtures for the label tests: preview content (autologous and directed) and an independent barcode reader."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import zxingcpp
from PIL import Image

from batchtrack.labels import content as label_content
from batchtrack.labels.content import LabelContent

Decoder = Callable[[Image.Image], list[str]]


@pytest.fixture(params=[False, True], ids=["autologous", "directed"])
def demo(request: pytest.FixtureRequest) -> LabelContent:
    """Preview content for an autologous and for a directed product."""
    return label_content.preview_content(directed=request.param)


def _decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.fixture
def decode() -> Decoder:
    """Every barcode zxing-cpp finds in an image, as text."""
    return _decode


@pytest.fixture
def open_png() -> Callable[[bytes], Image.Image]:
    """PNG bytes as a Pillow image."""
    return lambda data: Image.open(io.BytesIO(data))
