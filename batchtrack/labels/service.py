"""Label print control: print and reprint, void and destroy, apply with a verifying scan, reconciliation."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Literal

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack import labels
from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import (
    AuditedRefusal,
    BadRequest,
    Conflict,
    Forbidden,
    IdentityMismatch,
    NotFound,
    Reason,
)
from batchtrack.i18n.text import Text, _
from batchtrack.labels import content_builder, layouts, manifest, printing, render_pdf, schemas
from batchtrack.labels import reconciliation as label_reconciliation
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import Layout
from batchtrack.labels.schemas import PrintRequest
from batchtrack.lots import service as lot_service
from batchtrack.lots.workflow import FINAL_STATES, LotState
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.label import Label, LabelPrint, LabelStatus
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User
from batchtrack.scanning import cleaning, consistency, parser, verdict
from batchtrack.scanning import service as scan_service
from batchtrack.scanning.expectations import ResolvedContainer, describe

LIVE = frozenset({LabelStatus.PRINTED.value, LabelStatus.APPLIED.value})
MEDIA_TYPES = {"zpl": "text/plain; charset=us-ascii", "png": "image/png", "svg": "image/svg+xml",
               "pdf": "application/pdf"}
# Collectors label the aspirate they collect; every other container is labelled in the laboratory.
_LABELLED_BY = {ContainerKind.ASPIRATE_BAG.value: Role.COLLECTOR}
Sender = Callable[[str, int, bytes, float], None]
# The words people read for container kinds and statuses (the codes stay in the API and the audit trail).
_KIND_WORDS = {ContainerKind.ASPIRATE_BAG.value: _("aspirate bag"),
               ContainerKind.CULTURE_VESSEL.value: _("culture vessel"),
               ContainerKind.QC_SAMPLE.value: _("QC sample"), ContainerKind.FINAL_PRODUCT.value: _("final product")}
_STATUS_WORDS = {ContainerStatus.IN_USE.value: _("in use"), ContainerStatus.CONSUMED.value: _("consumed"),
                 ContainerStatus.INFUSED.value: _("infused"), ContainerStatus.DESTROYED.value: _("destroyed")}
_ENTITY_WORDS = {"lot": _("lot"), "collection": _("collection")}


def kind_word(container_kind: str) -> Text | str:
    """A container kind as people read it ("final product"); an unknown code as it is, spaced."""
    return _KIND_WORDS.get(container_kind, container_kind.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Document:
    """One rendered output file."""

    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """A recorded print job, its labels, and its output (or the printer it went to)."""

    job: LabelPrint
    labels: list[Label]
    documents: list[Document]
    sent_to: str | None


def require_labeller(actor: Principal, container_kind: str) -> None:
    """Refuse someone whose role does not label this kind of container."""
    role = _LABELLED_BY.get(container_kind, Role.OPERATOR)
    if role not in actor.roles:
        raise Forbidden(_("{kind} labels are printed and applied by the {role} role", kind=kind_word(container_kind),
                          role=role.value),
                        code="label.role")


@dataclass(frozen=True, slots=True)
class _Unit:
    """What labels are printed for: a lot, or a collection whose lot is not yet open (its aspirate bag)."""

    entity_type: Literal["lot", "collection"]
    din: str
    therapy_id: int
    expires_at: datetime | None
    containers: list[Container]


def _unit(session: Session, din: str) -> _Unit:
    """The lot with this DIN (locked), or else the collection; refuse one that is closed to labelling."""
    compact = "".join(din.split()).upper()[:13]
    lot = session.execute(select(Lot).where(col(Lot.din) == compact).with_for_update()).scalar_one_or_none()
    if lot is not None:
        if LotState(lot.state) in FINAL_STATES:
            raise Conflict(_("lot {din} is {state}: no labels are printed for it", din=lot.din, state=lot.state),
                           code="label.lot_closed")
        return _Unit("lot", lot.din, lot.therapy_id, lot.expires_at,
                     lot_service.containers_of(session=session, lot=lot))
    collection = session.execute(
        select(Collection).where(col(Collection.din) == compact).with_for_update()).scalar_one_or_none()
    if collection is None:
        raise NotFound(_("no lot or collection with DIN {din}", din=compact))
    if collection.state == "rejected":
        raise Conflict(_("collection {din} was rejected: no labels are printed for it", din=collection.din),
                       code="label.collection_closed")
    containers = session.execute(
        select(Container).where(col(Container.collection_id) == collection.id).order_by(col(Container.id))
    ).scalars().all()
    return _Unit("collection", collection.din, collection.therapy_id, None, list(containers))


def _selected(unit: _Unit, data: PrintRequest) -> list[Container]:
    if data.kind is not None:
        chosen = [c for c in unit.containers if c.kind == data.kind and c.status == ContainerStatus.IN_USE]
        if not chosen:
            raise BadRequest(_("{entity} {din} has no {kind} in use to label", entity=_ENTITY_WORDS[unit.entity_type],
                               din=unit.din, kind=kind_word(data.kind)),
                             code="label.nothing_to_print")
        return chosen
    assert data.container_ids is not None
    if len(set(data.container_ids)) != len(data.container_ids):
        raise BadRequest(_("a container is named twice; one label per container per print"), code="label.duplicate")
    by_id = {c.id: c for c in unit.containers}
    missing = [i for i in data.container_ids if i not in by_id]
    if missing:
        raise NotFound(_("container {containers} is not a container of {entity} {din}",
                         containers=", ".join(map(str, missing)), entity=_ENTITY_WORDS[unit.entity_type],
                         din=unit.din), code="label.container_not_in_lot")
    chosen = [by_id[i] for i in data.container_ids]
    ended = [c for c in chosen if c.status != ContainerStatus.IN_USE]
    if ended:
        raise Conflict(_("only containers in use are labelled"), code="label.container_not_in_use", reasons=[
            Reason("label.container_not_in_use", _("container {container} is {status}", container=c.id,
                                                   status=_STATUS_WORDS.get(c.status, c.status.replace("_", " "))))
            for c in ended])
    return chosen


def _render(layout: Layout, contents: Sequence[LabelContent], fmt: labels.Format, dpi: int | None) -> list[bytes]:
    """ZPL and PDF: one output for all labels; PNG and SVG: one per label."""
    if fmt == "zpl":
        return [b"".join(labels.render(layout, content, fmt, dpi) for content in contents)]
    if fmt == "pdf":
        title = f"{layout.template_id} v{layout.version}"
        return [render_pdf.render_sheet_pdf([(layout, content) for content in contents], title=title)]
    return [labels.render(layout, content, fmt, dpi) for content in contents]


def _live_labels(session: Session, container_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = session.execute(
        select(col(Label.container_id), col(Label.id)).where(
            col(Label.container_id).in_(container_ids), col(Label.status).in_(LIVE)).order_by(col(Label.id))
    ).all()
    live: dict[int, list[int]] = {}
    for container_id, label_id in rows:
        if label_id is not None:
            live.setdefault(container_id, []).append(label_id)
    return live


def _flat(live: dict[int, list[int]]) -> list[int]:
    return sorted(label_id for ids in live.values() for label_id in ids)


def _printer_for(data: PrintRequest, settings: Settings) -> str | None:
    """The printer a request names directly, or the one configured for the station it names."""
    if data.station is None:
        return data.printer
    configured = settings.station_printers.get(data.station)
    if configured is None:
        raise BadRequest(_("station {station} has no printer configured (BATCHTRACK_STATION_PRINTERS)",
                           station=repr(data.station)),
                         code="printer.station_unknown")
    return configured


def print_labels(
    *, session: Session, settings: Settings, actor: Principal, din: str, data: PrintRequest,
    send: Sender = printing.send_zpl, timeout: float = printing.DEFAULT_TIMEOUT_S,
) -> PrintOutcome:
    """Render and record one label per container; a container with a live label is a reprint (reason needed).

    `din` names a lot, or a collection whose lot is not open yet (the collector labels its aspirate bag).
    """
    unit = _unit(session, din)
    containers = _selected(unit, data)
    kinds = sorted({c.kind for c in containers})
    if len(kinds) > 1:
        raise BadRequest(_("one print is one label kind; these containers are {kinds}", kinds=", ".join(kinds)),
                         code="label.mixed_kinds")
    require_labeller(actor, kinds[0])
    printer = _printer_for(data, settings)
    if kinds[0] in content_builder.IDENTITY_KINDS and not actor.sees_patient_identity and printer is None:
        # The label must carry the recipient's name and date of birth, which this role may not see: the output
        # goes to the printer and never back to the screen.
        raise Forbidden(
            _("{kind} labels carry the recipient's name and date of birth: for your role they are sent straight to "
              "a Zebra printer (give the printer, format zpl)", kind=kind_word(kinds[0])),
            code="label.identity_to_printer")
    if printer is not None and data.format != "zpl":
        raise BadRequest(_("only ZPL is sent to a printer; choose format zpl, or leave the printer out"),
                         code="label.printer_needs_zpl")
    layout = layouts.load_layout(content_builder.label_kind_for(kinds[0]))
    sources = content_builder.load_sources(session=session, therapy_id=unit.therapy_id,
                                           expires_at=unit.expires_at, containers=containers)
    try:  # a label that cannot be made stops here, before anything is recorded
        contents = [content_builder.assemble(source, settings=settings) for source in sources]
        outputs = _render(layout, contents, data.format, data.dpi)
    except BadRequest as exc:
        exc.reasons = exc.reasons or [Reason(exc.code, exc.text)]
        raise
    container_ids = [c.id for c in containers if c.id is not None]
    live = _live_labels(session, container_ids)
    reason = data.reason.strip()
    if live and not reason:
        raise Conflict(
            _("a container already has a live label: a reprint needs a reason"), code="label.reprint_reason_required",
            reasons=[Reason("label.reprint_reason_required",
                            _("container {container} already has label {labels} printed or applied", container=cid,
                              labels=", ".join(f"#{i}" for i in ids)))
                     for cid, ids in live.items()],
            audit=AuditedRefusal(actor, "label.reprint_refused", unit.entity_type, unit.din,
                                 {"containers": sorted(live), "live_labels": _flat(live)}),
        )
    assert actor.user_id is not None
    job = LabelPrint(
        therapy_id=unit.therapy_id, template_kind=layout.template_id, template_version=layout.version,
        output_format=data.format, printer=printer or "", copies=len(containers), is_reprint=bool(live),
        reprint_reason=reason if live else "", printed_by=actor.user_id,
    )
    session.add(job)
    session.flush()
    assert job.id is not None
    printed = []
    for container, content in zip(containers, contents, strict=True):
        assert container.id is not None
        entry = manifest.entry(file="", layout=layout, content=content)
        printed.append(Label(print_id=job.id, container_id=container.id,
                             barcode_data=json.dumps(entry.barcodes, sort_keys=True)))
    session.add_all(printed)
    session.flush()
    label_ids = [label.id for label in printed]
    audit_service.record(
        session=session, actor=actor, action="label.reprinted" if live else "label.printed",
        entity_type=unit.entity_type, entity_id=unit.din, old={"live_labels": _flat(live)} if live else None,
        new={"print_id": job.id, "template": layout.template_id, "version": layout.version,
             "format": data.format, "printer": job.printer, "copies": job.copies, "label_ids": label_ids,
             "container_ids": container_ids, "status": LabelStatus.PRINTED.value},
        reason=reason,
    )
    documents = _documents(unit.din, layout, printed, outputs, data.format, job.id)
    if printer is None:
        return PrintOutcome(job, printed, documents, None)
    try:
        address = printing.parse_printer(printer)
    except ValueError as exc:
        raise BadRequest(_("the configured printer {printer} is not a host and port: {why}",
                           printer=repr(printer[:60]), why=str(exc)),
                         code="printer.address") from exc
    if not printing.allowed(address, settings.allowed_printers):
        configured = ", ".join(settings.allowed_printers) or "none"
        raise BadRequest(_("printer {printer} is not one of this installation's printers ({configured})",
                           printer=str(address), configured=configured),
                         code="printer.not_configured")
    try:
        send(address.host, address.port, documents[0].data, timeout)
    except (printing.PrinterUnavailable, printing.PrinterAddressError) as exc:
        # The print is rolled back (it did not happen); the failed attempt is recorded.
        exc.audit = AuditedRefusal(actor, "label.print_failed", unit.entity_type, unit.din,
                                   {"printer": str(address), "template": layout.template_id,
                                    "container_ids": container_ids})
        raise
    return PrintOutcome(job, printed, [], str(address))


def _documents(
    din: str, layout: Layout, printed: Sequence[Label], outputs: Sequence[bytes], fmt: labels.Format, job_id: int
) -> list[Document]:
    extension, media = labels.EXTENSIONS[fmt], MEDIA_TYPES[fmt]
    if fmt in ("zpl", "pdf"):
        return [Document(f"{din}-{layout.template_id}-print{job_id}{extension}", media, outputs[0])]
    return [Document(f"{din}-{layout.template_id}-label{label.id}{extension}", media, data)
            for label, data in zip(printed, outputs, strict=True)]


def get_label(*, session: Session, label_id: int, for_update: bool = False) -> Label:
    """One label by id; NotFound otherwise."""
    query = select(Label).where(col(Label.id) == label_id)
    if for_update:
        query = query.with_for_update()
    label = session.execute(query).scalar_one_or_none()
    if label is None:
        raise NotFound(_("no label #{label}", label=label_id), code="label.not_found")
    return label


def _container_of(session: Session, label: Label) -> Container:
    container = session.get(Container, label.container_id)
    assert container is not None and container.id is not None
    return container


def recorded_barcodes(label: Label) -> dict[str, dict[str, str]]:
    """Element id -> symbology and the exact data, as recorded when the label was printed."""
    data: dict[str, dict[str, str]] = json.loads(label.barcode_data)
    return data


def _scan_reasons(session: Session, label: Label, container: Container, scan: str, zone: tzinfo) -> list[Reason]:
    """Every way the scan fails to show that this label is on its own container (pure comparison + lookup)."""
    parsed = parser.parse_scan(scan)
    if isinstance(parsed, parser.ScanRefusal):
        return parsed.reasons
    cleaned = cleaning.clean(scan)
    reasons: list[Reason] = []
    if cleaned not in {barcode["data"] for barcode in recorded_barcodes(label).values()}:
        reasons.append(Reason("label.scan_not_this_label",
                              _("the scan is not one of the barcodes printed on label #{label}", label=label.id)))
    identity = parser.identity_of(parsed)
    found = scan_service.resolve(session=session, identity=identity)
    own = _("{kind} {din} (container {container})", kind=kind_word(container.kind), din=container.din,
            container=container.id)
    if not isinstance(found.resolved, ResolvedContainer):
        named = _("nothing recorded") if found.resolved is None else describe(found.resolved)
        reasons.append(Reason("label.scan_not_a_container",
                              _("the scan names {named}, not a container; scan the label's code that names {own}",
                                named=named, own=own)))
    elif found.resolved.container_id != container.id:
        reasons.append(Reason("label.wrong_container",
                              _("the scan names {named}, but label #{label} is for {own}",
                                named=describe(found.resolved), label=label.id, own=own)))
    return reasons + consistency.label_agrees(identity, recorded_coi=found.recorded_coi,
                                              recorded_expiry=found.recorded_expiry, zone=zone)


def apply_label(*, session: Session, actor: Principal, label_id: int, scan: str, zone: tzinfo = UTC) -> Label:
    """Mark a printed label applied once a scan shows it is on its own container, with its recorded data (a refusal
    names times in `zone`, the site's)."""
    label = get_label(session=session, label_id=label_id, for_update=True)
    container = _container_of(session, label)
    container_id = container.id
    assert container_id is not None
    require_labeller(actor, container.kind)
    refusal = AuditedRefusal(actor, "label.apply_refused", "container", str(container_id),
                             {"label_id": label.id, "raw_escaped": verdict.escape_raw(scan), "raw_length": len(scan)})
    if label.status != LabelStatus.PRINTED:
        raise Conflict(_("label #{label} is {status}; only a printed label can be applied", label=label.id,
                         status=label.status),
                       code="label.not_printed", audit=refusal,
                       reasons=[Reason("label.not_printed",
                                       _("label #{label} is {status}", label=label.id, status=label.status))])
    reasons = _scan_reasons(session, label, container, scan, zone)
    others = [i for i in _live_labels(session, [container_id]).get(container_id, []) if i != label.id]
    applied = session.execute(select(col(Label.id)).where(
        col(Label.id).in_(others), col(Label.status) == LabelStatus.APPLIED)).scalars().all()
    if applied:
        reasons.append(Reason("label.container_labelled",
                              _("container {container} already carries applied label {labels}: void it first",
                                container=container_id, labels=", ".join(f"#{i}" for i in applied))))
    if reasons:
        raise IdentityMismatch(_("label #{label} was not applied: the scan does not confirm it", label=label.id),
                               reasons=reasons,
                               audit=refusal)
    now = utcnow()
    label.status, label.applied_by, label.applied_at, label.verified_at = (
        LabelStatus.APPLIED.value, actor.user_id, now, now)
    session.add(label)
    audit_service.record(
        session=session, actor=actor, action="label.applied", entity_type="container", entity_id=container_id,
        old={"label_id": label.id, "status": LabelStatus.PRINTED.value},
        new={"label_id": label.id, "status": label.status, "verified_at": now, "scanned": cleaning.clean(scan)},
    )
    session.flush()
    return label


def close_label(
    *, session: Session, actor: Principal, label_id: int, status: Literal["voided", "destroyed"], reason: str
) -> Label:
    """Void or destroy a printed or applied label; the reason is required and recorded."""
    if not reason.strip():
        needs = _("voiding a label needs a reason") if status == "voided" else _("destroying a label needs a reason")
        raise BadRequest(needs, code="reason_required")
    label = get_label(session=session, label_id=label_id, for_update=True)
    if label.status not in LIVE:
        raise Conflict(_("label #{label} is already {status}", label=label.id, status=label.status),
                       code="label.closed")
    container_id = _container_of(session, label).id
    assert container_id is not None
    old = {"label_id": label.id, "status": label.status}
    label.status, label.closed_reason, label.closed_at = status, reason.strip(), utcnow()
    session.add(label)
    audit_service.record(session=session, actor=actor, action=f"label.{status}", entity_type="container",
                         entity_id=container_id, old=old, new={"label_id": label.id, "status": status},
                         reason=label.closed_reason)
    session.flush()
    return label


def labels_of_lot(*, session: Session, lot: Lot) -> list[tuple[Label, LabelPrint, Container]]:
    """Every label printed for the lot's containers, oldest first, with its print job and container."""
    rows = session.execute(
        select(Label, LabelPrint, Container)
        .join(LabelPrint, col(LabelPrint.id) == col(Label.print_id))
        .join(Container, col(Container.id) == col(Label.container_id))
        .where(col(Container.lot_id) == lot.id).order_by(col(Label.id))
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def reconcile(*, session: Session, lot: Lot) -> label_reconciliation.Reconciliation:
    """Printed = applied + voided + destroyed for the lot, and the labels that make any difference."""
    rows = session.execute(
        select(col(Label.id), col(Label.container_id), col(Label.status), col(Label.verified_at))
        .join(Container, col(Container.id) == col(Label.container_id)).where(col(Container.lot_id) == lot.id)
    ).all()
    return label_reconciliation.reconcile(
        label_reconciliation.LabelRow(label_id=r[0], container_id=r[1], status=r[2], verified=r[3] is not None)
        for r in rows if r[0] is not None
    )


def _user_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(user_ids))).all()
    return {row[0]: row[1] for row in rows if row[0] is not None}


def labels_public(
    *, session: Session, rows: Sequence[tuple[Label, LabelPrint, Container]]
) -> list[schemas.LabelPublic]:
    """Labels with their print jobs and containers, as the API returns them."""
    names = _user_names(session, {label.applied_by for label, _, _ in rows if label.applied_by is not None})
    return [schemas.LabelPublic.of(label, job, container, recorded_barcodes(label),
                                   applied_by=names.get(label.applied_by) if label.applied_by else None)
            for label, job, container in rows]


def label_by_id_public(*, session: Session, label_id: int) -> schemas.LabelPublic:
    """One label by id, as the API returns it."""
    label = get_label(session=session, label_id=label_id)
    job = session.get(LabelPrint, label.print_id)
    assert job is not None
    return labels_public(session=session, rows=[(label, job, _container_of(session, label))])[0]


def job_public(*, session: Session, outcome: PrintOutcome, din: str) -> schemas.LabelPrintPublic:
    """A print job and its labels, as the API returns them."""
    job = outcome.job
    assert job.id is not None
    therapy = session.get(Therapy, job.therapy_id)
    assert therapy is not None
    rows = [(label, job, _container_of(session, label)) for label in outcome.labels]
    return schemas.LabelPrintPublic.of(job, din=din, coi=therapy.coi,
                                       printed_by=_user_names(session, {job.printed_by}).get(job.printed_by, ""),
                                       labels=labels_public(session=session, rows=rows))
