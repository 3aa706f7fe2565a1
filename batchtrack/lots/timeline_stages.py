"""A lot's timeline grouped by stage of the chain (pure): collection, receipt, processing, QC, release, labels,
custody and bedside, each group in time order with its count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from batchtrack.i18n.text import Text, _
from batchtrack.lots import schemas

Stage = Literal["collection", "receipt", "processing", "qc", "release", "labels", "custody", "bedside"]
STAGES: tuple[Stage, ...] = get_args(Stage)
STAGE_NAMES: dict[Stage, Text] = {
    "collection": _("Collection"), "receipt": _("Receipt at the lab"), "processing": _("Processing"),
    "qc": _("Quality control"), "release": _("Release"), "labels": _("Labels"), "custody": _("Custody"),
    "bedside": _("Bedside"),
}

# An audit action's stage by its exact name first, then by the prefix before its dot.
_BY_ACTION: dict[str, Stage] = {
    "collection.accept": "receipt", "collection.reject": "receipt", "collection.quarantine": "receipt",
    "lot.submit_to_qc": "qc", "lot.release": "release", "lot.release_pending_sterility": "release",
    "lot.reject": "release", "lot.hold": "release", "lot.lift_hold": "release", "lot.expire": "release",
    "lot.destroy": "release", "lot.expiry_set": "release", "lot.ship": "custody",
    "lot.receive_at_clinic": "custody", "lot.infuse": "bedside", "container.infused": "bedside",
}
_BY_PREFIX: dict[str, Stage] = {
    "collection": "collection", "lot": "processing", "step": "processing", "workstation": "processing",
    "value": "processing", "container": "processing", "material": "processing", "equipment": "processing",
    "qc": "qc", "specification": "qc", "release": "release", "deviation": "release", "label": "labels",
    "custody": "custody", "bedside": "bedside", "infusion": "bedside", "alert": "bedside",
}


@dataclass(frozen=True)
class StageGroup:
    """The events of one stage, oldest first; `open` when the reader asked for this stage."""

    stage: Stage
    name: Text
    events: tuple[schemas.TimelineEvent, ...]
    open: bool

    @property
    def count(self) -> int:
        """How many events the group holds (shown while it is folded)."""
        return len(self.events)


def stage_of(event: schemas.TimelineEvent) -> Stage:
    """The stage an event belongs to: a hand-over is custody; an audit entry goes by its action."""
    if event.kind == "custody":
        return "custody"
    action = event.summary
    if action in _BY_ACTION:
        return _BY_ACTION[action]
    return _BY_PREFIX.get(action.split(".", 1)[0], "processing")


def group(events: Sequence[schemas.TimelineEvent], *, only: Stage | None = None) -> list[StageGroup]:
    """The stages that have events, in the chain's order; with `only`, that stage alone (open)."""
    by_stage: dict[Stage, list[schemas.TimelineEvent]] = {stage: [] for stage in STAGES}
    for event in sorted(events, key=lambda e: e.at):
        by_stage[stage_of(event)].append(event)
    return [StageGroup(stage, STAGE_NAMES[stage], tuple(by_stage[stage]), open=only == stage)
            for stage in STAGES if by_stage[stage] and (only is None or only == stage)]


def counts(events: Sequence[schemas.TimelineEvent]) -> list[tuple[Stage, Text, int]]:
    """Each stage that has events, in the chain's order, with its name and how many events it holds."""
    return [(g.stage, g.name, g.count) for g in group(events)]
