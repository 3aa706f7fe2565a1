"""Fixtures for the label tests: preview content, an independent barcode reader, and a capturing printer."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import zxingcpp
from PIL import Image

from batchtrack.config import Settings
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


class CapturingPrinter:
    """A TCP server on 127.0.0.1 that keeps the bytes of each connection, like a Zebra printer's raw port 9100."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        # Accept polls, so that close() stops the thread without waiting for a connection.
        self._server.settimeout(0.05)
        self.port = int(self._server.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"  # as a print request names the printer
        self.jobs: list[bytes] = []
        self._received = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="zebra-capture", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            chunks = []
            with connection:
                connection.settimeout(10)
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
            with self._received:
                self.jobs.append(b"".join(chunks))
                self._received.notify_all()

    def wait(self, count: int = 1) -> list[bytes]:
        """The bytes of each connection so far, once at least `count` senders have closed theirs."""
        with self._received:
            arrived = self._received.wait_for(lambda: len(self.jobs) >= count, timeout=10)
            assert arrived, f"the printer received {len(self.jobs)} job(s), expected {count}"
            return list(self.jobs)

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._server.close()


@pytest.fixture
def printer(settings: Settings) -> Iterator[CapturingPrinter]:
    """A capturing printer, configured as one of the installation's printers, closed after the test."""
    capture = CapturingPrinter()
    settings.printers = [*settings.printers, capture.address]
    yield capture
    capture.close()
