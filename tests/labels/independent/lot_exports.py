"""The lot whose labels are read back, and the shapes of the fixtures that make and export it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import Layout

# Besides the aspirate bag the lot was collected in: these containers, one label each.
CONTAINERS = (("culture_vessel", 2), ("qc_sample", 2), ("final_product", 2))
LABELS = {"aspirate_bag": 1, **dict(CONTAINERS)}

# new_lot(**names) -> DIN: a lot with those containers and an expiry; names: family=..., given=... (the recipient's)
NewLot = Callable[..., str]
# export(din, fmt, dpi=None) -> (folder written, manifest.json as data): `batchtrack labels render`
Export = Callable[..., tuple[Path, dict[str, Any]]]
# parts_of(din) -> container id -> (layout, content) of its label, made as the export makes them
PartsOf = Callable[[str], dict[int, tuple[Layout, LabelContent]]]
