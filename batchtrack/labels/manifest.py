"""Manifest of a print run: for each rendered file, its layout and the exact data of every barcode on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from batchtrack.labels import content as label_content
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import Layout


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One rendered label: file name, template id and version, and element id -> symbology and data."""

    file: str
    template_id: str
    version: int
    barcodes: dict[str, dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data."""
        return {
            "file": self.file,
            "template_id": self.template_id,
            "version": self.version,
            "barcodes": {key: dict(value) for key, value in self.barcodes.items()},
        }


def entry(*, file: str, layout: Layout, content: LabelContent) -> ManifestEntry:
    """The manifest entry of one label rendered from `layout` and `content` into `file`."""
    barcodes = {
        element_id: {"symbology": symbology, "data": data}
        for element_id, (symbology, data) in label_content.encoded_barcodes(layout, content).items()
    }
    return ManifestEntry(file=file, template_id=layout.template_id, version=layout.version, barcodes=barcodes)


def build(rendered: Sequence[tuple[str, Layout, LabelContent]]) -> list[ManifestEntry]:
    """Manifest entries for (file, layout, content) triples, in the order given."""
    return [entry(file=file, layout=layout, content=content) for file, layout, content in rendered]
