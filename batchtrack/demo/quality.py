"""Demonstration: a lot's QC and its QA release pending sterility.

The QC analyst scans a sample and enters the results of the specification (the 14-day sterility is still
running: negative so far), the medical director and the treating physician co-sign, and QA releases the lot
pending sterility through the same release gate the pages use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.i18n.text import Text, _
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.quality import results
from batchtrack.quality import schemas as quality_schemas
from batchtrack.release import service as release_service
from batchtrack.review import record_review

# (test, number, word, status, day): what the demo's QC laboratory finds for a lot; the viable cell dose is the lot's.
RESULTS: tuple[tuple[str, float | None, str, str, int | None], ...] = (
    ("sterility_in_process", None, "no growth", "final", None),
    ("gram_stain", None, "no organisms seen", "final", None),
    ("viability", 93.0, "", "final", None),
    ("viable_cell_dose", None, "", "final", None),
    ("endotoxin", 0.12, "", "final", None),
    ("sterility", None, "no growth", "preliminary", 2),
    ("mycoplasma", None, "not detected", "final", None),
    ("cd73", 99.1, "", "final", None),
    ("cd90", 98.7, "", "final", None),
    ("cd105", 97.9, "", "final", None),
    ("cd34", 0.3, "", "final", None),
    ("cd45", 0.4, "", "final", None),
    ("cd14_cd11b", 0.6, "", "final", None),
    ("cd19_cd79a", 0.2, "", "final", None),
    ("hla_dr", 0.9, "", "final", None),
    ("residual_penicillin", None, "below LOQ", "final", None),
    ("residual_streptomycin", None, "below LOQ", "final", None),
)
# The rapid tests, reported the day the lot is formulated; the others follow (sterility: 14 days).
RAPID = 5


@dataclass(frozen=True)
class Signers:
    """The people who test, co-sign and release."""

    operator: Principal
    analyst: Principal
    director: Principal
    director_password: str
    investigator: Principal
    investigator_password: str
    qa: Principal
    qa_password: str


def label_samples(*, session: Session, settings: Settings, operator: Principal, din: str) -> list[str]:
    """Print the lot's QC sample labels, apply them and verify each by scanning; what the samples' codes read."""
    printed = label_service.print_labels(session=session, settings=settings, actor=operator, din=din,
                                         data=label_schemas.PrintRequest(kind="qc_sample", format="png"))
    scans = []
    for label in printed.labels:
        # The sample label's 2-D code: DIN with the sample's flag, and the COI identifier.
        scans.append(label_service.recorded_barcodes(label)["sample_datamatrix"]["data"])
        assert label.id is not None
        label_service.apply_label(session=session, actor=operator, label_id=label.id, scan=scans[-1])
    return scans


def enter_results(*, session: Session, analyst: Principal, din: str, sample_scan: str, viable_cells: float,
                  first: int = 0, last: int = len(RESULTS)) -> None:
    """Enter results `first` to `last` (exclusive) of RESULTS for the lot, scanning its sample."""
    for test, value, word, status, day in RESULTS[first:last]:
        results.enter_result(session=session, actor=analyst, din=din, data=quality_schemas.QcResultCreate(
            scan=sample_scan, test_code=test, value=viable_cells if test == "viable_cell_dose" else value,
            result_text=word, status=status, day=day))


def co_sign(*, session: Session, signers: Signers, din: str) -> None:
    """The medical director and the treating physician co-sign the release pending sterility."""
    release_service.co_sign(session=session, actor=signers.director, din=din, role="medical_director",
                            username=signers.director.username, password=signers.director_password)
    release_service.co_sign(session=session, actor=signers.investigator, din=din, role="treating_physician",
                            username=signers.investigator.username, password=signers.investigator_password)


def review_and_release(*, session: Session, signers: Signers, din: str) -> None:
    """QA reviews the lot's record by exception, as the release gate requires, and releases it pending sterility."""
    record_review.sign(session=session, actor=signers.qa, din=din, username=signers.qa.username,
                       password=signers.qa_password, comment="every exception of the demonstration lot reviewed")
    release_service.release(session=session, actor=signers.qa, din=din, username=signers.qa.username,
                            password=signers.qa_password, pending_sterility=True)


def told(din: str) -> list[Text]:
    """What the QC and release of the fully built lot did, in words."""
    return [
        _("QC samples labelled and scanned; {count} results entered against the specification "
          "(sterility negative at day 2, final at day 14)", count=len(RESULTS)),
        _("release pending sterility co-signed by the medical director and the treating physician"),
        _("QA reviewed lot {din}'s record by exception (signed); the review at /lots/{din}/record-review", din=din),
        _("QA released lot {din} pending sterility (signed); certificate of analysis at /lots/{din}/certificate",
          din=din),
    ]
