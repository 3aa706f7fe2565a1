"""Every barcode found in an image, read by libraries batchtrack does not print with.

Data Matrix is read with libdmtx (pylibdmtx; batchtrack writes it with zxing-cpp), Code 128 and QR with zxing-cpp
(batchtrack writes them with python-barcode and qrcode). zxing-cpp is told to look for those two symbologies only,
so each Data Matrix is found by libdmtx alone.
"""

from __future__ import annotations

import importlib
from collections import Counter
from types import ModuleType

import zxingcpp
from PIL import Image

Found = Counter[tuple[str, str]]  # (symbology as the layouts name it, data) -> how many times it was found

_ZXING_SYMBOLOGY = {zxingcpp.BarcodeFormat.Code128: "code128", zxingcpp.BarcodeFormat.QRCode: "qr"}
# libdmtx finds a symbol on a label in up to about 5 s, but a search of the whole label for more takes it far
# longer: it is told how many to find (what the manifest lists) and stops there, or at this limit.
_DMTX_TIMEOUT_MS = 30_000


def _libdmtx() -> ModuleType:
    # Imported when first used: pylibdmtx loads the libdmtx shared library as it is imported.
    return importlib.import_module("pylibdmtx.pylibdmtx")


def missing() -> str | None:
    """Why Data Matrix cannot be read here (pip install pylibdmtx; apt-get install libdmtx0b), or None."""
    try:
        _libdmtx()
    except ImportError as exc:
        return f"pylibdmtx cannot be used: {exc}"
    return None


def read_linear_and_qr(image: Image.Image) -> Found:
    """Code 128 and QR symbols found by zxing-cpp."""
    formats = [zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode]
    return Counter((_ZXING_SYMBOLOGY[r.format], r.text) for r in zxingcpp.read_barcodes(image, formats=formats))


def read_datamatrix(image: Image.Image, count: int) -> Found:
    """Up to `count` Data Matrix symbols found by libdmtx; their data is ASCII on every label (a byte beyond it
    fails)."""
    if count == 0:
        return Counter()
    found = _libdmtx().decode(image, timeout=_DMTX_TIMEOUT_MS, max_count=count)
    return Counter(("datamatrix", r.data.decode("ascii")) for r in found)


def read_all(image: Image.Image, expecting: Found) -> Found:
    """The symbols found in `image`, by symbology and data: every Code 128 and QR symbol, and as many Data Matrix
    symbols as `expecting` holds."""
    grey = image.convert("L")
    datamatrix = sum(n for (symbology, _), n in expecting.items() if symbology == "datamatrix")
    return read_linear_and_qr(grey) + read_datamatrix(grey, datamatrix)


def two_dimensional(found: Found) -> Found:
    """The Data Matrix and QR symbols of `found`."""
    return Counter({key: n for key, n in found.items() if key[0] != "code128"})


def expected(barcodes: dict[str, dict[str, str]]) -> Found:
    """What a label's manifest entry says its barcodes carry: element id -> {"symbology", "data"}."""
    return Counter((barcode["symbology"], barcode["data"]) for barcode in barcodes.values())
