"""Previews and exports of a lot's labels: rendered to show or to write out, never recorded as printed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from batchtrack import labels
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import (
    BadRequest,
    BatchtrackError,
    NotFound,
)
from batchtrack.i18n.text import _
from batchtrack.labels import content as label_content
from batchtrack.labels import content_builder, layouts, manifest, render_pdf
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import Layout
from batchtrack.lots import service as lot_service
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.label import LabelStatus
from batchtrack.models.lot import Lot
from batchtrack.models.user import Role

LIVE = frozenset({LabelStatus.PRINTED.value, LabelStatus.APPLIED.value})
MEDIA_TYPES = {"zpl": "text/plain; charset=us-ascii", "png": "image/png", "svg": "image/svg+xml",
               "pdf": "application/pdf"}
# Collectors label the aspirate they collect; every other container is labelled in the laboratory.
_LABELLED_BY = {ContainerKind.ASPIRATE_BAG.value: Role.COLLECTOR}
Sender = Callable[[str, int, bytes, float], None]


def preview_parts(
    *, session: Session, settings: Settings, lot: Lot, containers: Sequence[Container], viewer: Principal
) -> dict[int, tuple[Layout, LabelContent] | BatchtrackError]:
    """Per container: the layout and content of its on-screen preview, or why its label cannot be made."""
    result: dict[int, tuple[Layout, LabelContent] | BatchtrackError] = {}
    for source in content_builder.load_sources(session=session, therapy_id=lot.therapy_id,
                                                expires_at=lot.expires_at, containers=containers):
        try:
            result[source.container_id] = content_builder.for_screen(
                source, settings=settings, sees_identity=viewer.sees_patient_identity)
        except BatchtrackError as exc:
            result[source.container_id] = exc
    return result


def preview_image(
    *, session: Session, settings: Settings, din: str, container_id: int, viewer: Principal,
    fmt: Literal["svg", "png"],
) -> bytes:
    """A container's label as an image for the screen (patient identity withheld from those who may not see it)."""
    lot = lot_service.get_by_din(session=session, din=din)
    container = lot_service.get_container(session=session, container_id=container_id)
    if container.lot_id != lot.id:
        raise NotFound(_("container {container} is not a container of lot {din}", container=container_id, din=lot.din))
    part = preview_parts(session=session, settings=settings, lot=lot, containers=[container], viewer=viewer)
    found = part[container_id]
    if isinstance(found, BatchtrackError):
        raise found
    return labels.render(found[0], found[1], fmt)


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One file of a label export."""

    name: str
    data: bytes


def export_lot(
    *, session: Session, settings: Settings, din: str, fmt: labels.Format, dpi: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ExportFile], dict[str, Any]]:
    """Render every container label of a lot with a manifest of what each barcode encodes; nothing is recorded."""
    lot = lot_service.get_by_din(session=session, din=din)
    containers = lot_service.containers_of(session=session, lot=lot)
    if not containers:
        raise BadRequest(_("lot {din} has no containers to label", din=lot.din), code="label.nothing_to_print")
    rendered: list[tuple[str, Layout, LabelContent, int, str]] = []
    files: list[ExportFile] = []
    for source in content_builder.load_sources(session=session, therapy_id=lot.therapy_id,
                                                expires_at=lot.expires_at, containers=containers):
        layout = layouts.load_layout(content_builder.label_kind_for(source.container_kind))
        content = content_builder.assemble(source, settings=settings)
        name = f"{lot.din}-{source.container_id:04d}-{layout.template_id}{labels.EXTENSIONS[fmt]}"
        if fmt == "pdf":
            name = f"{lot.din}-labels.pdf"
            label_content.bound_texts(layout, content)  # refuse now what the sheet could not print
        else:
            files.append(ExportFile(name, labels.render(layout, content, fmt, dpi)))
        rendered.append((name, layout, content, source.container_id, source.container_kind))
        if progress is not None:
            progress(1)
    if fmt == "pdf":
        files.append(ExportFile(rendered[0][0], render_pdf.render_sheet_pdf(
            [(layout, content) for _file, layout, content, _id, _kind in rendered], title=f"Labels of lot {lot.din}")))
    entries = [
        {**manifest.entry(file=file, layout=layout, content=content).as_dict(), "container_id": container_id,
         "container_kind": kind}
        for file, layout, content, container_id, kind in rendered
    ]
    document = {
        "lot": lot.din, "format": fmt, "dpi": dpi, "generated_at": datetime.now(UTC).isoformat(),
        "recorded": False, "note": "preview/export: no print was recorded for these labels", "labels": entries,
    }
    return files, document
