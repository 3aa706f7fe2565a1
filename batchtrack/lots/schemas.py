"""Request and response shapes for lots and containers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text
from batchtrack.web.validation import AwareTime, LongText, RequestModel, SignerUserId


class LotTransition(RequestModel):
    """Move a lot through its lifecycle."""

    reason: LongText = ""


class HoldLift(RequestModel):
    """Lift the lot's hold (QA): why the lot may go on, signed with the password (meaning: approved)."""

    reason: LongText
    username: SignerUserId = ""
    password: str = Field(min_length=1, max_length=256)


class ContainerCreate(RequestModel):
    """Register new containers of a lot (culture vessels, QC samples or final product bags)."""

    kind: Literal["culture_vessel", "qc_sample", "final_product"]
    count: int = Field(default=1, ge=1, le=26)


class ExpirySet(RequestModel):
    """Set the lot's expiry time (a correction needs a reason)."""

    expires_at: AwareTime
    reason: LongText = ""


class ContainerPublic(BaseModel):
    """A container and its scannable identity."""

    id: int
    din: str
    kind: str
    product_code: str
    division: str
    sample_flag: str
    status: str
    lot_din: str | None
    created_at: datetime


class LotPublic(BaseModel):
    """A lot as every role may see it."""

    din: str
    din_check: str
    din_eye_readable: str
    therapy_coi: str
    subject_code: str
    product_code: str
    state: str
    state_before_hold: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    collections: list[str]


class ReasonOut(BaseModel):
    """One reason a transition is refused."""

    code: str
    message: str
    _text: Text | None = PrivateAttr(default=None)

    @property
    def text(self) -> Text:
        """The message as marked for translation (a page shows it in the reader's language)."""
        return self._text if self._text is not None else Reason(self.code, self.message).text

    @classmethod
    def of(cls, reason: Reason) -> ReasonOut:
        """Build from a domain reason."""
        out = cls(code=reason.code, message=reason.message)
        out._text = reason.text
        return out


class TransitionOption(BaseModel):
    """A transition and whether it is allowed now, with the reasons if not."""

    name: str
    label: str
    button: str
    allowed: bool
    reasons: list[ReasonOut]
    _label_text: Text | None = PrivateAttr(default=None)
    _button_text: Text | None = PrivateAttr(default=None)

    @property
    def label_text(self) -> Text:
        """The label as marked for translation."""
        return self._label_text if self._label_text is not None else _as_is(self.label)

    @property
    def button_text(self) -> Text:
        """What a person presses, as marked for translation."""
        return self._button_text if self._button_text is not None else _as_is(self.button)

    @classmethod
    def of(cls, *, name: str, label: Text, button: Text, reasons: list[Reason]) -> TransitionOption:
        """Build with the label and button kept for translation (their English in the body)."""
        option = cls(name=name, label=str(label), button=str(button), allowed=not reasons,
                     reasons=[ReasonOut.of(r) for r in reasons])
        option._label_text, option._button_text = label, button
        return option


class TimelineEvent(BaseModel):
    """One event on a lot's timeline: a custody hand-over or an audit entry."""

    at: datetime
    kind: Literal["custody", "audit"]
    summary: str
    actor: str
    detail: str
    _summary_text: Text | None = PrivateAttr(default=None)
    _detail_text: Text | None = PrivateAttr(default=None)

    @property
    def summary_text(self) -> Text:
        """The summary as people read it (an audit entry's action is a code, shown as it is)."""
        return self._summary_text if self._summary_text is not None else _as_is(self.summary)

    @property
    def detail_text(self) -> Text:
        """The detail as people read it (an audit entry's details stay as recorded, in English)."""
        return self._detail_text if self._detail_text is not None else _as_is(self.detail)

    def with_text(self, *, summary: Text, detail: Text) -> TimelineEvent:
        """This event with its summary and detail kept for translation (their English in the body)."""
        self._summary_text, self._detail_text = summary, detail
        return self


def _as_is(text: str) -> Text:
    # Shown as it is in every language: no catalog lookup, braces are not fields.
    return Reason("", text).text
