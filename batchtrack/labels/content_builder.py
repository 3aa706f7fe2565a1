"""The content of a container's label, taken from what is recorded about the container, its lot and therapy.

Loading (`load_sources`) is kept apart from assembling (`assemble`, pure), so what a label says can be
checked without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.i18n.text import _
from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.identifiers import isbt
from batchtrack.identifiers.din import IdentifierError
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts
from batchtrack.labels.content import LabelContent, LabelContentError
from batchtrack.labels.layouts import Layout, TextElement, fit_text_size
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.party import Donor, DonorKind, Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.people import names

# Each container kind has a label kind of the same name; the bedside tag goes with a final product bag.
LABEL_KIND = {kind.value: kind.value for kind in ContainerKind}
BEDSIDE_TAG = "bedside_tag"
# Labels that carry the recipient's name and date of birth: the final product and the bedside tag (21 CFR
# 1271.370), and the collection label of the aspirate bag, whose layout asks for them (the collector knows
# the patient; DESIGN.md section 1). Vessel and sample labels in the laboratory never do.
IDENTITY_KINDS = frozenset({ContainerKind.FINAL_PRODUCT.value, BEDSIDE_TAG, ContainerKind.ASPIRATE_BAG.value})
# Storage conditions printed on each kind of label; a layout that has no such field ignores them.
STORAGE_TEMPERATURE = {
    ContainerKind.ASPIRATE_BAG.value: "Transport at 15-25 \u00b0C. Do not freeze.",
    ContainerKind.CULTURE_VESSEL.value: "Incubate at 37 \u00b0C, 5% CO2",
    ContainerKind.FINAL_PRODUCT.value: "Store at 2-8 \u00b0C. Do not freeze.",
    BEDSIDE_TAG: "Store at 2-8 \u00b0C. Do not freeze.",
}
# Containers before the final product say what they hold; the final product (and its bedside tag) carries
# the configured product description that goes with its product description code.
INTERMEDIATE_DESCRIPTION = {
    ContainerKind.ASPIRATE_BAG.value: "BONE MARROW ASPIRATE",
    ContainerKind.CULTURE_VESSEL.value: "MSC IN CULTURE",
    ContainerKind.QC_SAMPLE.value: "MSC QC SAMPLE",
}
SAMPLE_DESCRIPTION = "QC SAMPLE"
WITHHELD = "(withheld)"
_COLLECTION_TYPE = {DonorKind.AUTOLOGOUS.value: isbt.COLLECTION_AUTOLOGOUS,
                    DonorKind.DIRECTED.value: isbt.COLLECTION_DIRECTED}
_IDENTITY_FIELDS = frozenset({"recipient_name", "recipient_name_latin", "recipient_dob"})


@dataclass(frozen=True, slots=True)
class LabelSource:
    """What is recorded about one container that its label shows."""

    container_id: int
    container_kind: str
    din: str
    product_code: str  # the container's 6 characters (product bags) or "" (other containers)
    division: str
    sample_flag: str
    lot_product_code: str  # the therapy's (and its lots') 8 characters
    expires_at: datetime | None
    collected_at: datetime | None
    coi: str
    donor_kind: str
    recipient_family: str
    recipient_given: str
    recipient_dob: date
    recipient_family_latin: str = ""
    recipient_given_latin: str = ""


def label_kind_for(container_kind: str) -> str:
    """The label kind printed for a container kind."""
    try:
        return LABEL_KIND[container_kind]
    except KeyError:
        raise LabelContentError(_("no label kind for container kind {kind}", kind=repr(container_kind)),
                                code="label.kind_unknown") from None


def load_sources(
    *, session: Session, therapy_id: int, expires_at: datetime | None, containers: Sequence[Container]
) -> list[LabelSource]:
    """The label sources of containers of one therapy's lot or collection (the parties are read once)."""
    therapy = session.get(Therapy, therapy_id)
    assert therapy is not None
    recipient = session.get(Recipient, therapy.recipient_id)
    donor = session.get(Donor, therapy.donor_id)
    assert recipient is not None and donor is not None
    collection_ids = {c.collection_id for c in containers if c.collection_id is not None}
    collected: dict[int, datetime | None] = {}
    if collection_ids:
        rows = session.execute(
            select(col(Collection.id), col(Collection.collected_at)).where(col(Collection.id).in_(collection_ids))
        ).all()
        collected = {row[0]: row[1] for row in rows if row[0] is not None}
    sources = []
    for container in containers:
        assert container.id is not None
        sources.append(LabelSource(
            container_id=container.id, container_kind=container.kind, din=container.din,
            product_code=container.product_code, division=container.division, sample_flag=container.sample_flag,
            lot_product_code=therapy.product_code, expires_at=expires_at,
            collected_at=collected.get(container.collection_id) if container.collection_id else None,
            coi=therapy.coi, donor_kind=donor.kind, recipient_family=recipient.family_name,
            recipient_given=recipient.given_name, recipient_dob=recipient.date_of_birth,
            recipient_family_latin=recipient.family_name_latin, recipient_given_latin=recipient.given_name_latin,
        ))
    return sources


def assemble(
    source: LabelSource, *, settings: Settings, label_kind: str | None = None, bedside_url: str | None = None
) -> LabelContent:
    """The content of the container's label (or of `label_kind`, e.g. the bedside tag of a product bag)."""
    kind = label_kind or label_kind_for(source.container_kind)
    if kind == BEDSIDE_TAG and source.container_kind != ContainerKind.FINAL_PRODUCT:
        raise LabelContentError(_("a bedside tag goes with a final product bag only"), code="label.kind_mismatch")
    collection_type = _COLLECTION_TYPE.get(source.donor_kind)
    if collection_type is None:
        raise LabelContentError(_("the donor kind {kind} has no use statement", kind=repr(source.donor_kind)),
                                code="label.donor_kind")
    try:
        din = din_ids.parse(source.din)
        coi = coi_ids.parse(source.coi)
    except IdentifierError as exc:
        raise LabelContentError(_("a recorded identifier is malformed: {why}", why=exc.message), code=exc.code) from exc
    # A product bag's code is its own 6 characters and division; other containers carry the lot's code.
    product_code = source.product_code + source.division if source.product_code else source.lot_product_code
    identity = kind in IDENTITY_KINDS
    return LabelContent(
        din=din,
        product_code=product_code,
        product_description=INTERMEDIATE_DESCRIPTION.get(kind, settings.product_description),
        # A culture vessel is told apart from the other containers of the donation by its flag; the other
        # labels carry the flags that hold the DIN's check character.
        flags=source.sample_flag if source.container_kind == ContainerKind.CULTURE_VESSEL else None,
        coi=coi,
        expires_at=source.expires_at,
        collected_at=source.collected_at,
        storage_temperature=STORAGE_TEMPERATURE.get(kind),
        use_statement=label_content.use_statement_for(collection_type),
        antibiotic_statement=label_content.ANTIBIOTIC_STATEMENT,
        facility_name=settings.facility_name,
        recipient_name=_written_name(source) if identity else None,
        recipient_name_latin=names.romanised(source.recipient_family_latin, source.recipient_given_latin)
        if identity else None,
        recipient_dob=source.recipient_dob if identity else None,
        sample_flag=source.sample_flag if source.container_kind == ContainerKind.QC_SAMPLE else None,
        sample_description=SAMPLE_DESCRIPTION if source.container_kind == ContainerKind.QC_SAMPLE else None,
        bedside_url=bedside_url,
        display_zone=settings.zone.key,
    )


def _written_name(source: LabelSource) -> str:
    """The recipient's name as written; a recorded name missing its family or given name is refused."""
    if not " ".join(source.recipient_family.split()) or not " ".join(source.recipient_given.split()):
        raise LabelContentError(_("a recipient name needs a family and a given name"), code="label.content")
    return names.written(source.recipient_family, source.recipient_given)


def without_identity(layout: Layout, content: LabelContent) -> tuple[Layout, LabelContent]:
    """The layout and content of an on-screen preview for someone who may not see patient identity.

    The recipient's name as written, romanised name and date of birth are replaced by "(withheld)"; everything
    else, barcodes included, is as printed.
    """
    elements = []
    for element in layout.elements:
        if isinstance(element, TextElement) and element.content in _IDENTITY_FIELDS:
            if fit_text_size(element, WITHHELD) is not None:
                element = element.model_copy(update={"content": None, "text": WITHHELD})
            else:
                element = element.model_copy(update={"required": False})
        elements.append(element)
    masked_layout = layout.model_copy(update={"elements": tuple(elements)})
    return masked_layout, replace(content, recipient_name=None, recipient_name_latin=None, recipient_dob=None)


def for_screen(source: LabelSource, *, settings: Settings, sees_identity: bool) -> tuple[Layout, LabelContent]:
    """The layout and content of the container's on-screen preview; refuses a label that cannot be made."""
    layout = layouts.load_layout(label_kind_for(source.container_kind))
    content = assemble(source, settings=settings)
    if content.recipient_name is not None and not sees_identity:
        layout, content = without_identity(layout, content)
    label_content.bound_texts(layout, content)  # every text fits and every required one is there
    label_content.encoded_barcodes(layout, content)  # every barcode has its data
    return layout, content
