"""Request and response shapes for enrolment and eligibility."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from batchtrack.web.validation import (
    Code,
    IsoDate,
    LongText,
    OptionalShortText,
    RequestModel,
    ShortText,
    SignerUserId,
    SubjectCode,
)

CriterionId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{2,32}$")]


def _composed(value: str) -> str:
    # A Hangul name typed as decomposed jamo (NFD) is stored composed, so that it is found as it is typed elsewhere.
    return unicodedata.normalize("NFC", value)


PersonName = Annotated[ShortText, AfterValidator(_composed)]
OptionalPersonName = Annotated[OptionalShortText, AfterValidator(_composed)]


class DonorCreate(RequestModel):
    """A directed (allogeneic) donor: code, date of birth, HLA match, and the name as written and romanised.

    A romanised name not sent is suggested from a Hangul name (see `EnrolmentCreate`).
    """

    donor_code: Code
    date_of_birth: IsoDate
    hla_match: ShortText = "haplo-identical"
    family_name: OptionalPersonName = ""
    given_name: OptionalPersonName = ""
    family_name_latin: OptionalPersonName | None = None
    given_name_latin: OptionalPersonName | None = None


class WeightCreate(RequestModel):
    """A weight measured at a dated visit."""

    visit_date: IsoDate
    weight_kg: float = Field(gt=1, lt=400)


class AllergyCreate(RequestModel):
    """A recorded hypersensitivity."""

    substance: ShortText
    reaction: OptionalShortText = ""


class EnrolmentCreate(RequestModel):
    """Register a subject in a protocol: identity, consent, indication, donor, allergies, first weight.

    The name is as the subject writes it (Hangul at the first site); the romanised name (Latin letters, spaces,
    hyphens, apostrophes) is recorded as sent, or, when neither part is sent, suggested from a Hangul name.
    """

    subject_code: SubjectCode
    family_name: PersonName
    given_name: PersonName
    family_name_latin: OptionalPersonName | None = None
    given_name_latin: OptionalPersonName | None = None
    date_of_birth: IsoDate
    mrn: Code
    sex: Literal["female", "male", "other", "unknown"] = "unknown"
    protocol_id: Code = "KCT0004337"
    indication: Literal["nephritis", "cytopenia"]
    consent_date: IsoDate
    donor_kind: Literal["autologous", "directed"] = "autologous"
    donor: DonorCreate | None = None
    allergies: list[AllergyCreate] = Field(default_factory=list, max_length=50)
    weight: WeightCreate | None = None

    @model_validator(mode="after")
    def _donor_matches_kind(self) -> EnrolmentCreate:
        if self.donor_kind == "directed" and self.donor is None:
            raise ValueError("a directed (allogeneic) enrolment needs the donor")
        if self.donor_kind == "autologous" and self.donor is not None:
            raise ValueError("an autologous enrolment has no separate donor")
        return self


class ConsentWithdrawal(RequestModel):
    """Record that the subject withdrew consent."""

    reason: LongText = Field(min_length=1)


class EligibilityAnswers(RequestModel):
    """The investigator's answer to each criterion (true: the criterion holds), signed with their password."""

    answers: dict[CriterionId, bool] = Field(max_length=100)
    prescribed_cells_per_kg: float = Field(gt=0, le=1e9)
    username: SignerUserId = ""
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ReasonOut(BaseModel):
    """A reason a subject is not eligible."""

    code: str
    message: str


class EligibilityOut(BaseModel):
    """The recorded assessment, its signature, and the therapy opened when eligible."""

    subject_code: str
    protocol_id: str
    protocol_version: int
    eligible: bool
    reasons: list[ReasonOut]
    assessed_by: str
    assessed_at: datetime
    signature_meaning: str
    therapy_coi: str | None


class RecipientSummary(BaseModel):
    """A subject as every role may see them: codes and enrolment status, no identity."""

    subject_code: str
    protocol_id: str
    indication: str
    consent_date: date | None
    consent_withdrawn: bool
    donor_kind: str
    donor_code: str
    donor_eligibility: str | None
    eligible: bool | None
    therapy_coi: str | None
    latest_weight_kg: float | None
    latest_weight_date: date | None
    pen_strep_hypersensitivity: bool


class RecipientDetail(RecipientSummary):
    """A subject with identity, for clinical roles: the name as written and romanised, and a directed donor's."""

    family_name: str
    given_name: str
    family_name_latin: str
    given_name_latin: str
    written_name: str
    romanised_name: str
    donor_written_name: str | None
    donor_romanised_name: str | None
    date_of_birth: date
    mrn: str
    sex: str
    allergies: list[str]
