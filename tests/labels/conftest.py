"""Fixtures for the label tests: preview content, an independent barcode reader, and a capturing printer."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
import zxingcpp
from PIL import Image

from batchtrack.config import Settings
from batchtrack.labels import content as label_content
from batchtrack.labels.content import LabelContent

from capture_printer import CapturingPrinter

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


@pytest.fixture
def printer(settings: Settings) -> Iterator[CapturingPrinter]:
    """A capturing printer, configured as one of the installation's printers, closed after the test."""
    capture = CapturingPrinter()
    settings.printers = [*settings.printers, capture.address]
    yield capture
    capture.close()
