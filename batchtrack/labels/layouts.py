"""Versioned label layouts (`labels/<kind>/v<N>.json`): loading, validation and the geometry they share.

A layout is data: changing a label means adding a new version file, so every version stays loadable and a
print record can always name the exact layout it used.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from batchtrack.errors import BatchtrackError, NotFound
from batchtrack.i18n.text import _
from batchtrack.labels import hangul_face
from batchtrack.resources import resource_dir

KINDS = ("aspirate_bag", "culture_vessel", "qc_sample", "final_product", "bedside_tag")

# DESIGN.md section 5: no bar or module narrower than 0.25 mm, at any output resolution.
MIN_X_MM = 0.25
MM_PER_INCH = 25.4

# Text geometry shared by every renderer, so a layout looks the same on screen, on paper and on a Zebra.
# A text line occupies size * LINE_HEIGHT; its baseline sits BASELINE * size below the top of that box.
LINE_HEIGHT = 1.2
BASELINE = 0.93
# Advance width of every glyph of the monospaced label font (DejaVu Sans Mono 1233/2048, Courier 600/1000),
# in em: text fitting is then exact for the raster, SVG and PDF outputs and conservative for ZPL. Text the label
# font cannot print (Hangul) is set in NanumSquare and fitted with that face's own widths.
MONO_ADVANCE = 0.6021
DEFAULT_MIN_TEXT_MM = 1.8

Symbology = Literal["code128", "datamatrix", "qr"]
DataKey = Literal["din", "din_sample", "product", "expiry", "expiry_date", "coi", "compound", "bedside_url"]
TextKey = Literal[
    "din",
    "din_check",
    "din_flags",
    "sample_flag",
    "product_code",
    "product_description",
    "coi",
    "coi_check",
    "expiry",
    "collected",
    "storage_temperature",
    "use_statement",
    "antibiotic_statement",
    "facility_name",
    "recipient_name",
    "recipient_name_latin",
    "recipient_dob",
    "sample_description",
    "bedside_url",
]
STRUCTURE_KEYS = frozenset({"din", "din_sample", "product", "expiry", "expiry_date", "coi"})
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.json")
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_LATIN1_TEXT = re.compile(r"[\x20-\x7e\xa0-\xff]+")

Rect = tuple[float, float, float, float]  # x, y, width, height in mm


class LayoutNotFoundError(NotFound):
    """No layout of that kind or version is installed."""

    default_code = "label.layout_not_found"


class LayoutInvalidError(BatchtrackError):
    """A layout file is malformed or breaks a labelling rule; this is a configuration fault."""

    status_code = 500
    default_code = "label.layout_invalid"


class _Element(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    x: float = Field(ge=0)
    y: float = Field(ge=0)
    width: float = Field(gt=0)


class TextElement(_Element):
    """A line of text: a content key bound to LabelContent, or a fixed caption."""

    type: Literal["text"]
    size: float = Field(gt=0, description="font size (em) in mm")
    content: TextKey | None = None
    text: str | None = None
    bold: bool = False
    align: Literal["left", "center", "right"] = "left"
    boxed: bool = False
    required: bool = True
    min_size: float = Field(default=DEFAULT_MIN_TEXT_MM, gt=0)

    @model_validator(mode="after")
    def _rules(self) -> TextElement:
        if (self.content is None) == (self.text is None):
            raise ValueError(f"text element {self.id!r} needs exactly one of 'content' or 'text'")
        if self.min_size > self.size:
            raise ValueError(f"text element {self.id!r}: min_size is larger than size")
        if self.text is not None:
            # A fixed caption is part of the layout, so a caption that cannot print is a layout fault.
            if not _LATIN1_TEXT.fullmatch(self.text):
                raise ValueError(f"text element {self.id!r}: captions are printable Latin-1 text")
            if fit_text_size(self, self.text) is None:
                raise ValueError(f"text element {self.id!r}: the caption does not fit its width")
        return self

    @property
    def height(self) -> float:
        """Height of the line box in mm."""
        return self.size * LINE_HEIGHT


class BarcodeElement(_Element):
    """A symbol bound to a data-structure key; the box includes the quiet zones."""

    type: Literal["barcode"]
    height: float = Field(gt=0)
    symbology: Symbology
    data: DataKey
    structures: tuple[DataKey, ...] = ()
    module: float = Field(default=MIN_X_MM, description="smallest X-dimension in mm")
    align: Literal["left", "center"] = "left"

    @model_validator(mode="after")
    def _rules(self) -> BarcodeElement:
        if self.module < MIN_X_MM:
            raise ValueError(f"barcode {self.id!r}: X-dimension {self.module} mm is below {MIN_X_MM} mm")
        # QR only carries internal links; identity data goes into Code 128 or Data Matrix.
        if (self.symbology == "qr") != (self.data == "bedside_url"):
            raise ValueError(f"barcode {self.id!r}: QR is used for the bedside link and only for it")
        if self.data == "compound":
            if self.symbology != "datamatrix" or not self.structures:
                raise ValueError(f"barcode {self.id!r}: a compound message is a Data Matrix of structures")
            distinct = set(self.structures)
            if not distinct <= STRUCTURE_KEYS or len(distinct) != len(self.structures):
                raise ValueError(f"barcode {self.id!r}: compound structures must be distinct data structures")
        elif self.structures:
            raise ValueError(f"barcode {self.id!r}: 'structures' is only for data 'compound'")
        return self


class BoxElement(_Element):
    """A rectangle outline (frame, check-character box) or, when filled, a rule."""

    type: Literal["box"]
    height: float = Field(gt=0)
    thickness: float = Field(default=0.3, gt=0)
    filled: bool = False

    def ink(self) -> list[Rect]:
        """The rectangles this element inks, in mm."""
        if self.filled:
            return [(self.x, self.y, self.width, self.height)]
        t = self.thickness
        return [
            (self.x, self.y, self.width, t),
            (self.x, self.y + self.height - t, self.width, t),
            (self.x, self.y, t, self.height),
            (self.x + self.width - t, self.y, t, self.height),
        ]


Element = Annotated[TextElement | BarcodeElement | BoxElement, Field(discriminator="type")]


class Layout(BaseModel):
    """One version of one label kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template_id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    description: str = ""
    width_mm: float = Field(gt=0)
    height_mm: float = Field(gt=0)
    elements: tuple[Element, ...]

    @model_validator(mode="after")
    def _geometry(self) -> Layout:
        ids = [element.id for element in self.elements]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate element ids: {', '.join(duplicates)}")
        for element in self.elements:
            x, y, w, h = element_rect(element)
            if x + w > self.width_mm + 1e-6 or y + h > self.height_mm + 1e-6:
                size = f"{self.width_mm}x{self.height_mm}"
                raise ValueError(f"element {element.id!r} extends beyond the {size} mm label")
        _check_no_overlap(self.elements)
        return self

    @property
    def barcodes(self) -> tuple[BarcodeElement, ...]:
        """The barcode elements, in layout order."""
        return tuple(e for e in self.elements if isinstance(e, BarcodeElement))


def element_rect(element: TextElement | BarcodeElement | BoxElement) -> Rect:
    """The box an element occupies, in mm."""
    return (element.x, element.y, element.width, element.height)


def _intersects(a: Rect, b: Rect) -> bool:
    eps = 1e-6
    return (
        a[0] < b[0] + b[2] - eps and b[0] < a[0] + a[2] - eps and a[1] < b[1] + b[3] - eps and b[1] < a[1] + a[3] - eps
    )


def _check_no_overlap(elements: tuple[TextElement | BarcodeElement | BoxElement, ...]) -> None:
    # A line through a quiet zone makes a symbol unreadable, and overprinted text is unreadable too, so the
    # boxes of barcodes and text lines must not touch each other or any ruled line.
    solid = [(e.id, element_rect(e)) for e in elements if not isinstance(e, BoxElement)]
    ink = [(e.id, r) for e in elements if isinstance(e, BoxElement) for r in e.ink()]
    for index, (name, rect) in enumerate(solid):
        for other, other_rect in solid[index + 1 :]:
            if _intersects(rect, other_rect):
                raise ValueError(f"elements {name!r} and {other!r} overlap")
        for other, other_rect in ink:
            if _intersects(rect, other_rect):
                raise ValueError(f"element {name!r} touches a line of box {other!r}")


def layouts_root(root: Path | None = None) -> Path:
    """The folder holding one sub-folder per label kind."""
    return root if root is not None else resource_dir("labels")


def list_kinds(*, root: Path | None = None) -> list[str]:
    """The label kinds that have at least one layout version installed."""
    folders = [f for f in layouts_root(root).iterdir() if f.is_dir() and _KIND.fullmatch(f.name)]
    return sorted(f.name for f in folders if any(_VERSION_FILE.fullmatch(p.name) for p in f.iterdir()))


def list_versions(kind: str, *, root: Path | None = None) -> list[int]:
    """The layout versions installed for `kind`, oldest first."""
    folder = layouts_root(root) / kind
    if not _KIND.fullmatch(kind) or not folder.is_dir():
        raise LayoutNotFoundError(_("no label layouts of kind {kind}", kind=repr(kind)), code="label.kind_unknown")
    versions = [int(m.group(1)) for p in folder.iterdir() if (m := _VERSION_FILE.fullmatch(p.name))]
    if not versions:
        raise LayoutNotFoundError(_("no layout versions for label kind {kind}", kind=repr(kind)),
                                  code="label.kind_unknown")
    return sorted(versions)


def load_layout(kind: str, version: int | None = None, *, root: Path | None = None) -> Layout:
    """Load and validate a layout; the newest version unless `version` is given."""
    versions = list_versions(kind, root=root)
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        known = ", ".join(f"v{v}" for v in versions)
        raise LayoutNotFoundError(
            _("label kind {kind} has no version {version} (installed: {known})", kind=repr(kind), version=chosen,
              known=known), code="label.version_unknown"
        )
    path = layouts_root(root) / kind / f"v{chosen}.json"
    stat = path.stat()
    layout = _parse(path, stat.st_mtime_ns, stat.st_size)
    if layout.template_id != kind or layout.version != chosen:
        raise LayoutInvalidError(_(
            "{file} of {kind} declares {template} v{version}; the file name and folder must match the template id "
            "and version", file=path.name, kind=repr(kind), template=repr(layout.template_id), version=layout.version
        ))
    return layout


@lru_cache(maxsize=256)
def _parse(path: Path, mtime_ns: int, size: int) -> Layout:
    # Keyed by modification time and size as well, so a file replaced on disk is never served stale.
    name = f"{path.parent.name}/{path.name}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Layout.model_validate(raw)
    except json.JSONDecodeError as exc:
        raise LayoutInvalidError(_("label layout {file} is not JSON: {why}", file=name, why=str(exc))) from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'layout'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise LayoutInvalidError(_("label layout {file} is invalid: {problems}", file=name, problems=problems)) from exc


def module_dots(module_mm: float, dpi: int) -> int:
    """Whole dots per module at `dpi`, never smaller than `module_mm` (203 dpi: 2 dots = 0.25 mm)."""
    # The small tolerance keeps exact values (0.254 mm at 300 dpi = 3 dots) from rounding up a dot.
    return max(1, math.ceil(module_mm * dpi / MM_PER_INCH - 1e-9))


def dots(mm: float, dpi: int) -> int:
    """A length in mm as whole printer dots."""
    return round(mm * dpi / MM_PER_INCH)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in mm of `text` at `size` mm: in the monospaced label font, or in NanumSquare when it needs that."""
    if hangul_face.needs_face(text):
        return hangul_face.advance_em(text, bold) * size
    return len(text) * MONO_ADVANCE * size


def fit_text_size(element: TextElement, text: str) -> float | None:
    """The font size that fits `text` into the element (shrinking to min_size), or None if it cannot fit."""
    room = element.width - (element.size * 0.5 if element.boxed else 0.0)  # box padding, see text_origin
    if not text:
        return element.size
    size = min(element.size, room / text_width(text, 1.0, element.bold))
    return size if size >= element.min_size - 1e-9 else None


def text_origin(element: TextElement, text: str, size: float) -> tuple[float, float]:
    """Left edge and baseline (mm) of `text` at `size` in the element, after alignment and box padding."""
    pad = element.size * 0.25 if element.boxed else 0.0
    inner_x, inner_w = element.x + pad, element.width - 2 * pad
    slack = inner_w - text_width(text, size, element.bold)
    if element.align == "center":
        left = inner_x + slack / 2
    elif element.align == "right":
        left = inner_x + slack
    else:
        left = inner_x
    baseline = element.y + (element.height - size * LINE_HEIGHT) / 2 + BASELINE * size
    return left, baseline
