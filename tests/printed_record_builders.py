"""Builders of the three printed records as their renderers receive them (COI report, batch record, certificate of
analysis), with every free-text field they print filled by a caller's function, at the longest length the API (or,
for process and specification files, their loader) accepts for that field.

`fill(field, length)` returns the text for one field; `Filled` remembers what each field was given, so that a test
can look for every one of them in the PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from document_builders import LONG_TEXT, SHORT_TEXT, column_length, field_length, max_length

from batchtrack.batch_record import record as batch
from batchtrack.coi_report import record as coi
from batchtrack.labels import schemas as label_schemas
from batchtrack.models.material import MaterialLot
from batchtrack.models.quality import QcResult
from batchtrack.models.user import User
from batchtrack.processing import definition
from batchtrack.processing.growth import GrowthPoint
from batchtrack.quality import schemas as quality_schemas
from batchtrack.quality import specification
from batchtrack.release import schemas as release
from batchtrack.web import validation

Fill = Callable[[str, int], str]

# The longest text each kind of field takes, read from the schemas that accept it.
NAME = column_length(User, "full_name")  # people are named by their account's full name
CODE = max_length(validation.Code)  # donor code, protocol id, supplier lot
PRINTER = max_length(label_schemas.Printer)
# Supplier and result are ShortText narrowed by a validator to their columns (materials, quality schemas).
SUPPLIER = column_length(MaterialLot, "supplier")
RESULT = column_length(QcResult, "result_text")
SPEC_CODE = field_length(quality_schemas.SpecificationDraft, "code")
SPEC_TITLE = field_length(quality_schemas.SpecificationDraft, "title")
TEST_TITLE = field_length(specification.SpecTest, "title")
TEST_METHOD = field_length(specification.SpecTest, "method")
PROCESS_TITLE = field_length(definition.ProcessDefinition, "title")
STEP_TITLE = field_length(definition.StepType, "title")
VALUE_LABEL = field_length(definition.ValueDefinition, "label")
UNIT = field_length(definition.ValueDefinition, "unit")
SUBJECT_CODE = "S" + "-9" * 15 + "9"  # the longest subject code the pattern allows (32 characters)
AT = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
HASH = "9f2c" * 16


@dataclass
class Filled:
    """The fill function, and every text it gave, by field."""

    fill: Fill
    texts: dict[str, str] = field(default_factory=dict)

    def __call__(self, name: str, length: int) -> str:
        """The text of field `name`, at most `length` characters, recorded."""
        text = self.fill(name, length)
        assert len(text) <= length, (name, len(text), length)
        self.texts[name] = text
        return text


def _coi_signature(f: Filled, name: str) -> coi.SignatureEntry:
    return coi.SignatureEntry(id=1, printed_name=f(f"{name}.printed_name", NAME), meaning="approved", signed_at=AT,
                              signed_at_local="2026-12-07 10:02:03 KST", signed_for="Release of lot W000026000001",
                              entity_type="lot", entity_id="W000026000001", content_hash=HASH)


def coi_report(f: Filled) -> coi.CoiReport:
    """A COI report of a directed donor's therapy, shown to a clinical role, one of each record, texts filled."""
    family, given = f("recipient.family_name", SHORT_TEXT), f("recipient.given_name", SHORT_TEXT)
    recipient = coi.RecipientEntry(subject_code=SUBJECT_CODE, identity_shown=True, family_name=family,
                                   given_name=given, date_of_birth=date(1984, 3, 1), name=f"{family.upper()}, {given}")
    f.texts["recipient.name"] = recipient.name or ""
    del f.texts["recipient.family_name"], f.texts["recipient.given_name"]
    signature = _coi_signature(f, "release_signature")
    release_entry = coi.ReleaseEntry(decision="released", decided_by=f("release.decided_by", NAME), decided_at=AT,
                                     reason="", signature=signature, co_signatures=())
    labels = coi.LabelCountEntry(printed=2, applied=1, voided=0, destroyed=1, outstanding=(), applied_unverified=(),
                                 balanced=True)
    return coi.CoiReport(
        therapy=coi.TherapyEntry(coi="CHW000026000001", coi_check="6", coi_eye_readable="CH W0000 26 000001 6",
                                 state="infused", product_code="Y0001100", prescribed_cells_per_kg=1e6,
                                 opened_by=f("therapy.opened_by", NAME), opened_at=AT),
        recipient=recipient,
        donor=coi.DonorEntry(donor_code=f("donor.donor_code", CODE), kind="directed", is_recipient=False,
                             hla_match=f("donor.hla_match", SHORT_TEXT), eligibility="eligible",
                             eligibility_recorded_at=AT),
        eligibility=coi.EligibilityEntry(protocol_id=f("eligibility.protocol_id", CODE), protocol_version=1,
                                         eligible=True, assessed_by="x", assessed_at=AT,
                                         signature=_coi_signature(f, "eligibility_signature")),
        collections=(coi.CollectionEntry(
            din="W000026000001", din_check="K", din_eye_readable="W0000 26 000001 K", state="received",
            scheduled_for=AT, started_at=AT, collected_at=AT, volume_ml=60.0, site=f("collection.site", SHORT_TEXT),
            collector=f("collection.collector", NAME), created_at=AT, lot_din="W000026000002",
            receipts=(coi.ReceiptEntry(decision="accept", temperature_c=20.0, hours_since_collection=2.0, note="",
                                       received_by=f("receipt.received_by", NAME), received_at=AT),)),),
        lots=(coi.LotEntry(din="W000026000002", din_check="A", din_eye_readable="W0000 26 000002 A",
                           state="infused", product_code="Y0001100", specification_code=f("lot.specification_code",
                                                                                          SPEC_CODE),
                           specification_version=3, expires_at=AT, created_at=AT, collections=("W000026000001",),
                           release=release_entry, labels=labels, steps=()),),
        containers=(coi.ContainerEntry(id=7, din="W000026000002", din_check="A", kind="final_product",
                                       product_code="Y00011A0", division="A0", sample_flag="00", status="infused",
                                       lot_din="W000026000002", collection_din=None, created_at=AT,
                                       name="final product W000026000002 A0"),),
        custody=(coi.HandOverEntry(id=1, container_id=7, container="final product W000026000002 A0",
                                   handed_over_by=f("custody.handed_over_by", NAME),
                                   received_by=f("custody.received_by", NAME),
                                   location=f("custody.location", SHORT_TEXT), temperature_c=4.0, occurred_at=AT,
                                   recorded_by="x", recorded_at=AT, note=f("custody.note", SHORT_TEXT)),),
        label_prints=(coi.LabelPrintEntry(
            id=1, template_kind="final_product", template_version=1, output_format="zpl",
            printer=f("label_print.printer", PRINTER), copies=1, is_reprint=True,
            reprint_reason=f("label_print.reprint_reason", LONG_TEXT), printed_by=f("label_print.printed_by", NAME),
            printed_at=AT, labels=(coi.LabelEntry(id=3, container_id=7, container="final product W000026000002 A0",
                                                  status="destroyed", applied_by=None, applied_at=None,
                                                  verified_at=None,
                                                  closed_reason=f("label.closed_reason", LONG_TEXT),
                                                  closed_at=AT),)),),
        deviations=(coi.DeviationEntry(
            number="DEV-2026-0001", lot_din="W000026000002", state="closed", origin="bedside",
            description=f("deviation.description", LONG_TEXT), impact="", opened_by=f("deviation.opened_by", NAME),
            opened_at=AT, closure=f("deviation.closure", LONG_TEXT), closed_by="x", closed_at=AT,
            closed_signature=_coi_signature(f, "deviation_signature")),),
        bedside_checks=(coi.BedsideCheckEntry(
            id=1, checked_at=AT, ok=True, reasons=(), lot_din="W000026000002", container_id=7,
            container="final product W000026000002 A0", first_clinician=f("bedside.first_clinician", NAME),
            second_clinician=f("bedside.second_clinician", NAME), dose_cells=6.2e7, dose_target_cells=6.25e7,
            deviation_number=None),),
        infusions=(coi.InfusionEntry(
            id=1, check_id=1, container_id=7, container="final product W000026000002 A0", lot_din="W000026000002",
            started_at=AT, ended_at=AT + timedelta(minutes=30), volume_ml=50.0, adverse_reactions_recorded=True,
            adverse_reactions=f("infusion.adverse_reactions", LONG_TEXT),
            first_signature=_coi_signature(f, "infusion_first_signature"),
            second_signature=_coi_signature(f, "infusion_second_signature"), recorded_by="x", recorded_at=AT),),
        signatures=(_coi_signature(f, "signature"),),
        events=(coi.EventEntry(at=AT, kind="label", title="Label destroyed", subject="label #3",
                               detail=f("event.detail", LONG_TEXT), by=f("event.by", NAME)),),
        display_timezone="Asia/Seoul",
        generated_at=AT,
    )


def _batch_signature(f: Filled, name: str) -> batch.SignatureEntry:
    return batch.SignatureEntry(id=1, printed_name=f(f"{name}.printed_name", NAME), meaning="performed",
                                signed_at=AT, signed_at_local="2026-12-07 10:02:03 KST",
                                signed_for="Harvest: performed", entity_type="step", entity_id="1",
                                content_hash=HASH, intact=True)


def batch_record(f: Filled) -> batch.BatchRecord:
    """A batch record of one executed step with a corrected value, a vessel, a material, an instrument and a
    deviation, texts filled."""
    value = batch.RecordedValue(
        name="cells_harvested", label=f("value.label", VALUE_LABEL), unit=f("value.unit", UNIT), low_limit=1e6,
        high_limit=None, value=8e6, original_value=6e6, entered_by=f("value.entered_by", NAME), entered_at=AT,
        out_of_limit=False, limit_breach=None,
        corrections=(batch.Correction(old_value=6e6, new_value=8e6, reason=f("correction.reason", LONG_TEXT),
                                      corrected_by=f("correction.corrected_by", NAME), corrected_at=AT),))
    step = batch.StepEntry(
        code="harvest", step_type="harvest", ordinal=1, title=f("step.title", STEP_TITLE), station="BSC-1",
        state="verified", started_by=f("step.started_by", NAME), started_at=AT,
        completed_by=f("step.completed_by", NAME), completed_at=AT, verified_by=f("step.verified_by", NAME),
        verified_at=AT, performed_signature=_batch_signature(f, "step.performed_signature"),
        verified_signature=_batch_signature(f, "step.verified_signature"), values=(value,),
        vessels_in=(batch.VesselEntry(role="in", container_id=3, din="W000026000002", kind="culture_vessel",
                                      product_code="", division="00", sample_flag="01", status="consumed",
                                      recorded_by=f("vessel.recorded_by", NAME), recorded_at=AT),),
        vessels_out=(),
        materials=(batch.MaterialEntry(code="MAT-000001", kind="medium",
                                       description=f("material.description", SHORT_TEXT),
                                       supplier=f("material.supplier", SUPPLIER),
                                       supplier_lot=f("material.supplier_lot", CODE), expires_at=AT,
                                       status="released", quantity=500.0, unit=f("material.unit", UNIT),
                                       used_by=f("material.used_by", NAME), used_at=AT),),
        equipment=(batch.EquipmentEntry(code="BSC-0001-ABCDEFGHIJ", kind="biosafety_cabinet",
                                        description=f("equipment.description", SHORT_TEXT), calibration_due=AT,
                                        used_by=f("equipment.used_by", NAME), used_at=AT),),
    )
    deviation = batch.DeviationEntry(
        number="DEV-2026-0001", state="closed", origin="step", step_code="harvest", step_title=step.title,
        description=f("deviation.description", LONG_TEXT), impact=f("deviation.impact", LONG_TEXT),
        opened_by=f("deviation.opened_by", NAME), opened_at=AT, closure=f("deviation.closure", LONG_TEXT),
        closed_by=f("deviation.closed_by", NAME), closed_at=AT,
        closed_signature=_batch_signature(f, "deviation.closed_signature"))
    header = batch.LotHeader(
        din="W000026000002", din_check="A", din_eye_readable="W0000 26 000002 A", therapy_coi="CHW000026000001",
        therapy_coi_check="6", subject_code=SUBJECT_CODE, product_code="Y0001100", state="in_process",
        process_code="BM-MSC", process_version=2, process_title=f("process.title", PROCESS_TITLE),
        collections=("W000026000001",), expires_at=AT, created_at=AT)
    return batch.BatchRecord(
        header=header, steps=(step,), deviations=(deviation,),
        signatures=(_batch_signature(f, "record.signature"),),
        growth=(GrowthPoint(step_code="harvest", at=AT, days=21.0, population_doublings=2.0,
                            cumulative_doublings=5.0, doubling_time_hours=84.0),),
        display_timezone="Asia/Seoul", generated_at=AT)


def _certificate_signature(f: Filled, name: str) -> release.SignatureOut:
    return release.SignatureOut(printed_name=f(f"{name}.printed_name", NAME), meaning="released", signed_at=AT,
                                intact=True)


def certificate(f: Filled) -> release.CertificatePublic:
    """A certificate of a lot released pending sterility, one test, both co-signatures, texts filled."""
    test = release.CertificateTest(
        code="viability", title=f("test.title", TEST_TITLE), stage="release", method=f("test.method", TEST_METHOD),
        limit=f("test.limit", SHORT_TEXT), result=f("test.result", RESULT), conforms=True, status="final",
        entered_at=AT, analyst=f("test.analyst", NAME), after_decision=False)
    return release.CertificatePublic(
        din="W000026000002", din_check="A", din_eye_readable="W0000 26 000002 A", therapy_coi="CHW000026000001",
        therapy_coi_check="6", subject_code=SUBJECT_CODE, product_code="Y0001100", lot_state="released",
        expires_at=AT, specification_code=f("specification.code", SPEC_CODE), specification_version=1,
        specification_title=f("specification.title", SPEC_TITLE), tests=[test],
        decision=release.DecisionOut(decision="released_pending_sterility", specification="MSC-FP version 1",
                                     reason=f("decision.reason", LONG_TEXT), decided_at=AT,
                                     signature=_certificate_signature(f, "decision.signature")),
        co_signatures=[release.CoSignatureOut(role=role, signature=_certificate_signature(f, role))
                       for role in ("medical_director", "treating_physician")],
        generated_at=AT)

