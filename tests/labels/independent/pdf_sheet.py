"""A PDF label sheet read back: its pages rasterised by poppler (pdftoppm), its text read by pypdf, and the place
of each label on the sheet.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from batchtrack.labels.layouts import MM_PER_INCH
from batchtrack.labels.render_pdf import A4_MM, GAP_MM, SHEET_MARGIN_MM

_PT_PER_MM = 72 / MM_PER_INCH
TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one label lies on the sheet: its page (from 0) and its top left corner in mm from the page's."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def holds(self, page: int, x: float, y: float) -> bool:
        """True when the point (mm from the page's top left corner) lies on this label."""
        return page == self.page and self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height

    def crop(self, image: Image.Image, dpi: int) -> Image.Image:
        """This label's part of its page rasterised at `dpi`."""
        scale = dpi / MM_PER_INCH
        box = (self.x, self.y, self.x + self.width, self.y + self.height)
        return image.crop(tuple(round(v * scale) for v in box))


def slots(sizes: Sequence[tuple[float, float]]) -> list[Slot]:
    """The slots of labels of these sizes (mm), laid on A4 left to right, top to bottom, as the sheet promises."""
    usable_w, usable_h = A4_MM[0] - 2 * SHEET_MARGIN_MM, A4_MM[1] - 2 * SHEET_MARGIN_MM
    found: list[Slot] = []
    page, x, y, row_height = 0, 0.0, 0.0, 0.0
    for width, height in sizes:
        if x > 0 and x + width > usable_w:
            x, y, row_height = 0.0, y + row_height + GAP_MM, 0.0
        if y > 0 and y + height > usable_h:
            page, x, y, row_height = page + 1, 0.0, 0.0, 0.0
        found.append(Slot(page, SHEET_MARGIN_MM + x, SHEET_MARGIN_MM + y, width, height))
        x += width + GAP_MM
        row_height = max(row_height, height)
    return found


def pdftoppm_missing() -> str | None:
    """Why pages cannot be rasterised here (install poppler-utils), or None."""
    return None if shutil.which("pdftoppm") else "pdftoppm (poppler-utils) is not installed"


def rasterise(pdf: Path, *, dpi: int, workdir: Path) -> list[Image.Image]:
    """Every page of `pdf` as an 8-bit grey image at `dpi`, drawn by poppler without anti-aliasing."""
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / "page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-aa", "no", "-aaVector", "no", str(pdf),
                    str(prefix)], check=True, capture_output=True, timeout=TIMEOUT_S)
    # pdftoppm numbers pages page-1.png ... page-N.png, zero-padded to the width of the last number.
    pages = sorted(workdir.glob("page-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return [Image.open(io.BytesIO(path.read_bytes())).convert("L") for path in pages]


@dataclass(frozen=True, slots=True)
class TextRun:
    """One string the PDF shows, with its page and the start of its baseline in mm from the page's top left."""

    page: int
    x: float
    y: float
    text: str


def text_runs(pdf: Path) -> list[TextRun]:
    """Every non-blank string shown on the pages of `pdf`, as pypdf reads it, with where it starts.

    pypdf puts a space before a string it finds apart from the one before: the strings are taken stripped.
    """
    reader = PdfReader(pdf)
    runs: list[TextRun] = []
    for number, page in enumerate(reader.pages):
        page_height_pt = float(page.mediabox.height)

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float, number: int = number,
                  page_height_pt: float = page_height_pt) -> None:
            if not text.strip():
                return
            # The text matrix places the run in the current transformation's space; PDF's y axis points up.
            x_pt = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y_pt = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append(TextRun(number, x_pt / _PT_PER_MM, (page_height_pt - y_pt) / _PT_PER_MM, text.strip()))

        page.extract_text(visitor_text=visit)
    return runs
