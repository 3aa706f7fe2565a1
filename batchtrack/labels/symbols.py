"""Barcode symbols as module matrices, so every output format draws the very same symbol.

Code 128 comes from python-barcode, Data Matrix ECC 200 from zxing-cpp's writer and QR from qrcode; no
symbology is encoded here by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import qrcode
import zxingcpp
from barcode import Code128
from barcode.charsets import code128 as code128_charset
from barcode.errors import BarcodeError

from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.labels.layouts import MM_PER_INCH, BarcodeElement, Symbology, dots, module_dots

# Quiet zones in modules: Code 128 needs 10; Data Matrix needs 1 (2 gives margin for a rough label edge);
# QR needs 4.
QUIET_ZONE: dict[str, int] = {"code128": 10, "datamatrix": 2, "qr": 4}

_CODE128_BITS = str.maketrans("01", "\x00\x01")
_CODE128_VALUES = {pattern: value for value, pattern in enumerate(code128_charset.CODES)}
_ZXING_DARK = bytes.maketrans(b"\x00\xff", b"\x01\x00")


class SymbolError(BadRequest):
    """The data cannot be encoded, or the symbol does not fit the space the layout gives it."""

    default_code = "label.symbol"


@dataclass(frozen=True, slots=True)
class Symbol:
    """A symbol as rows of modules (1 = dark); a linear symbol has one row."""

    symbology: Symbology
    data: str
    rows: tuple[bytes, ...]
    # Code 128 symbol values, start character first, check and stop left out (the printer adds them).
    codewords: tuple[int, ...] = ()

    @property
    def width(self) -> int:
        """Width in modules, quiet zones excluded."""
        return len(self.rows[0])

    @property
    def height(self) -> int:
        """Height in modules (1 for a linear symbol)."""
        return len(self.rows)

    @property
    def linear(self) -> bool:
        """True for a one-dimensional symbol."""
        return self.symbology == "code128"

    @property
    def quiet_zone(self) -> int:
        """Modules of blank space required on each side."""
        return QUIET_ZONE[self.symbology]

    def runs(self) -> list[tuple[int, int, int]]:
        """Dark runs as (row, first module, length), so vector outputs draw one rectangle per run."""
        found: list[tuple[int, int, int]] = []
        for row_index, row in enumerate(self.rows):
            start = -1
            for col, dark in enumerate(row):
                if dark and start < 0:
                    start = col
                elif not dark and start >= 0:
                    found.append((row_index, start, col - start))
                    start = -1
            if start >= 0:
                found.append((row_index, start, len(row) - start))
        return found


def code128(data: str) -> Symbol:
    """Code 128 with automatic subset switching (python-barcode)."""
    try:
        pattern = Code128(data).build()[0]
    except (BarcodeError, KeyError, ValueError, RuntimeError) as exc:
        raise SymbolError(_("cannot encode {data} in Code 128: {why}", data=repr(data), why=str(exc)),
                          code="label.symbol_data") from exc
    # Read the symbol values back from the drawn pattern (11 modules each; the last is the check character,
    # then the 13-module stop), so the ZPL field describes exactly the bars the other formats draw.
    codewords = tuple(_CODE128_VALUES[pattern[i : i + 11]] for i in range(0, len(pattern) - 13 - 11, 11))
    return Symbol("code128", data, (pattern.translate(_CODE128_BITS).encode("latin-1"),), codewords)


def datamatrix(data: str) -> Symbol:
    """Data Matrix ECC 200, square (zxing-cpp)."""
    try:
        created = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.DataMatrix, forceSquare=True)
    except (ValueError, RuntimeError) as exc:
        raise SymbolError(_("cannot encode {data} in Data Matrix: {why}", data=repr(data), why=str(exc)),
                          code="label.symbol_data") from exc
    image = created.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    # zxing ignores options it does not know, so check the shape it actually produced.
    if height != width:
        raise SymbolError(_("Data Matrix for {data} came out {height}x{width}, not square", data=repr(data),
                            height=height, width=width))
    # zxingcpp's stubs do not declare the buffer protocol its Image implements.
    raw = bytes(memoryview(image)).translate(_ZXING_DARK)  # type: ignore[arg-type]
    rows = tuple(raw[i * width : (i + 1) * width] for i in range(height))
    return Symbol("datamatrix", data, rows)


def qr(data: str) -> Symbol:
    """QR Code, error correction M (qrcode); for internal links only."""
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    rows = tuple(bytes(1 if dark else 0 for dark in row) for row in code.get_matrix())
    return Symbol("qr", data, rows)


@lru_cache(maxsize=1024)
def make_symbol(symbology: Symbology, data: str) -> Symbol:
    """The symbol for `data` in `symbology` (symbols are immutable, so repeats within a run are shared)."""
    if symbology == "code128":
        return code128(data)
    if symbology == "datamatrix":
        return datamatrix(data)
    return qr(data)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a symbol's first module lands, in dots of the output resolution."""

    x: int
    y: int
    module: int  # dots per module (the X-dimension)
    bar_height: int  # dots; for 2-D symbols, height in modules times module
    dpi: int

    @property
    def module_mm(self) -> float:
        """The X-dimension in mm."""
        return self.module * MM_PER_INCH / self.dpi


def place(element: BarcodeElement, symbol: Symbol, dpi: int) -> Placement:
    """Position `symbol` inside its element at `dpi`, refusing one that would not fit with its quiet zones."""
    module = module_dots(element.module, dpi)
    quiet = symbol.quiet_zone * module
    total_width = symbol.width * module + 2 * quiet
    box_x, box_y = dots(element.x, dpi), dots(element.y, dpi)
    box_w, box_h = dots(element.width, dpi), dots(element.height, dpi)
    if symbol.linear:
        total_height, bar_height, top = box_h, box_h, box_y
    else:
        total_height = symbol.height * module + 2 * quiet
        bar_height, top = symbol.height * module, box_y + quiet
    if total_width > box_w or total_height > box_h:
        need_w, need_h = (round(v * MM_PER_INCH / dpi, 1) for v in (total_width, total_height))
        raise SymbolError(
            _("barcode {barcode} ({columns}x{rows} modules) needs {need_w}x{need_h} mm with its quiet zones at "
              "{dpi} dpi; the layout gives {width}x{height} mm", barcode=repr(element.id), columns=symbol.width,
              rows=symbol.height, need_w=need_w, need_h=need_h, dpi=dpi, width=element.width,
              height=element.height),
            code="label.symbol_too_large",
        )
    left = box_x + quiet
    if element.align == "center":
        left += (box_w - total_width) // 2
    return Placement(x=left, y=top, module=module, bar_height=bar_height, dpi=dpi)
