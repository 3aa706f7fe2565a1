"""ZPL II for Zebra printers at 203 or 300 dpi (sent raw to port 9100).

Barcodes use the printer's own ^BC (Code 128) and ^BX (Data Matrix ECC 200) and ^BQ (QR) commands. Code 128
field data is written with explicit subset invocation codes taken from the symbol python-barcode builds, so
the printed bars are the ones every other format draws; a literal `>` (the invocation character) is `>0` (value
30; `><` is value 62, a `^` in subset B).
Text and 2-D data go through ^FH so `_`, `^` and `~` cannot end a field or start a command.

Text in Latin-1 is printed in the printer's font 0. Text holding Hangul (the recipient's name as written) is drawn
by us with NanumSquare, the font of the other outputs, and sent as a graphic field (^GFA, one bit per dot, plain
hexadecimal). The other way, ^CI28 with a Hangul font stored on the printer, was not taken: the first site's
printers have no Hangul font installed, fonts differ from printer to printer, and a printer missing a glyph prints
a blank or a substitute in a patient's name without any error. A graphic field prints the same dots on every Zebra
printer and can be read back by an independent ZPL renderer; it costs a few kilobytes per label and is drawn once
per name and size (bounded cache). The ZPL stays pure ASCII.
"""

from __future__ import annotations

import re
from functools import lru_cache

from batchtrack.i18n.text import _
from batchtrack.labels import content as label_content
from batchtrack.labels import hangul_face, symbols
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import LINE_HEIGHT, BoxElement, Layout, TextElement, dots, text_origin
from batchtrack.labels.symbols import Symbol, SymbolError

SUPPORTED_DPI = (203, 300)

# Written as is: printable ASCII except `\` (line break escape inside ^FB), `^`, `_` and `~`.
_NEEDS_HEX = re.compile(r"[^ -\[\]`-}]")
_START = {103: (">9", "A"), 104: (">:", "B"), 105: (">;", "C")}
_ALIGN = {"left": "L", "center": "C", "right": "R"}
# Font 0 is proportional; a width of 0.85 x height keeps its capitals within the monospaced width the
# layout was fitted to.
_FONT_WIDTH = 0.85


def _hex(match: re.Match[str]) -> str:
    return "".join(f"_{byte:02X}" for byte in match.group().encode("utf-8"))


def fh_escape(text: str) -> str:
    """Field data for ^FH_: `_`, `^`, `~`, `\\` and non-ASCII (as UTF-8 bytes, for ^CI28) become _XX hex."""
    return _NEEDS_HEX.sub(_hex, text)


def code128_field(symbol: Symbol) -> str:
    """^BC field data (mode N) that reproduces the symbol's codewords exactly, start code first."""
    start, subset = _START[symbol.codewords[0]]
    out = [start]
    for value in symbol.codewords[1:]:
        if subset == "C":
            if value < 100:
                out.append(f"{value:02d}")
                continue
            switch = {100: (">6", "B"), 101: (">7", "A")}.get(value)
        else:
            switch = {99: (">5", "C"), 100: (">6", "B"), 101: (">7", "A")}.get(value)
            if switch is None and value < 95 and (subset == "B" or value < 64):
                char = chr(value + 32)
                if char in "^~":
                    raise SymbolError(_("Code 128 data {data} holds {char}, which ZPL cannot carry",
                                        data=repr(symbol.data), char=repr(char)))
                out.append(">0" if char == ">" else char)
                continue
        if switch is None or switch[1] == subset:
            raise SymbolError(_("Code 128 symbol value {value} in {data} has no ZPL form", value=value,
                                data=repr(symbol.data)))
        out.append(switch[0])
        subset = switch[1]
    return "".join(out)


@lru_cache(maxsize=64)
def _frame(layout: Layout, dpi: int) -> str:
    """Label set-up and the boxes and rules, which do not change from label to label."""
    parts = [
        f"^XA^FXbatchtrack {layout.template_id} v{layout.version}^FS",
        f"^CI28^PW{dots(layout.width_mm, dpi)}^LL{dots(layout.height_mm, dpi)}^LH0,0",
    ]
    for element in layout.elements:
        if isinstance(element, BoxElement):
            w, h = dots(element.width, dpi), dots(element.height, dpi)
            t = min(w, h) if element.filled else max(1, dots(element.thickness, dpi))
            parts.append(f"^FO{dots(element.x, dpi)},{dots(element.y, dpi)}^GB{w},{h},{t},B^FS")
    return "\n".join(parts)


def _box(element: TextElement, dpi: int) -> str:
    """The box drawn around a boxed text field (check characters), or nothing."""
    if not element.boxed:
        return ""
    x, top, width = dots(element.x, dpi), dots(element.y, dpi), dots(element.width, dpi)
    return f"^FO{x},{top}^GB{width},{dots(element.height, dpi)},{max(2, dots(0.25, dpi))},B^FS"


@lru_cache(maxsize=1024)
def _text_template(element: TextElement, size: float, dpi: int) -> str:
    """The commands of one text field, with `{data}` where the escaped text goes."""
    x, top, width = dots(element.x, dpi), dots(element.y, dpi), dots(element.width, dpi)
    box = _box(element, dpi)
    height = dots(size, dpi)
    # Centre the character cell in the line box the layout reserved.
    y = top + dots((element.height - size * LINE_HEIGHT) / 2 + size * 0.1, dpi)
    font_width = round(height * _FONT_WIDTH)
    font = f"^A0N,{height},{font_width}^FB{width},1,0,{_ALIGN[element.align]}^FH_^FD{{data}}^FS"
    field = f"^FO{x},{y}{font}"
    # Font 0 has no bold face: a second pass one dot to the right thickens the strokes.
    return box + field + (f"^FO{x + 1},{y}{font}" if element.bold else "")


@lru_cache(maxsize=512)
def graphic_field(text: str, pixels: int, bold: bool) -> tuple[str, int, int]:
    """`text` in NanumSquare as a ^GFA command, with the offset of its top left from the left end of the baseline."""
    mask, left, top = hangul_face.text_mask(text, pixels, bold)
    data = mask.tobytes()  # one bit per dot, 1 = ink (printed), each row padded to whole bytes
    row_bytes = (mask.width + 7) // 8
    return f"^GFA,{len(data)},{len(data)},{row_bytes},{data.hex().upper()}", left, top


def _graphic_text(element: TextElement, text: str, size: float, dpi: int) -> str:
    """A text field drawn as a graphic (Hangul), placed as every other output places it."""
    left_mm, baseline_mm = text_origin(element, text, size)
    field, left, top = graphic_field(text, max(1, dots(size, dpi)), element.bold)
    return f"{_box(element, dpi)}^FO{dots(left_mm, dpi) + left},{dots(baseline_mm, dpi) + top}{field}^FS"


def render_zpl(layout: Layout, content: LabelContent, dpi: int = 203) -> str:
    """One label as a ZPL II format (^XA ... ^XZ) for a `dpi` printer."""
    if dpi not in SUPPORTED_DPI:
        raise SymbolError(_("ZPL is produced for {supported} dpi printers, not {dpi}", supported=SUPPORTED_DPI,
                            dpi=dpi), code="label.dpi")
    parts = [_frame(layout, dpi)]
    for bound in label_content.bound_texts(layout, content):
        if hangul_face.needs_face(bound.text):
            parts.append(_graphic_text(bound.element, bound.text, bound.size, dpi))
        else:
            parts.append(_text_template(bound.element, bound.size, dpi).format(data=fh_escape(bound.text)))
    for element, data in label_content.bound_barcodes(layout, content):
        symbol = symbols.make_symbol(element.symbology, data)
        at = symbols.place(element, symbol, dpi)
        origin = f"^FO{at.x},{at.y}"
        if element.symbology == "code128":
            parts.append(f"{origin}^BY{at.module}^BCN,{at.bar_height},N,N,N,N^FD{code128_field(symbol)}^FS")
        elif element.symbology == "datamatrix":
            if "~" in data:
                raise SymbolError(_("Data Matrix data {data} holds '~', the ^BX escape character", data=repr(data)))
            parts.append(f"{origin}^BXN,{at.module},200^FH_^FD{fh_escape(data)}^FS")
        else:
            # QR field data: error correction M, automatic input mode, then the data.
            parts.append(f"{origin}^BQN,2,{min(at.module, 10)}^FH_^FDMA,{fh_escape(data)}^FS")
    parts.append("^PQ1^XZ")
    return "\n".join(parts) + "\n"
