"""Errors that carry their own HTTP status and machine-readable reasons; one handler renders them."""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from batchtrack.i18n.text import ENGLISH, Text

if TYPE_CHECKING:
    from batchtrack.auth.principal import Principal


@dataclass(frozen=True, slots=True, init=False)
class Reason:
    """Why something is refused: a stable code for machines and a message for people.

    `message` is the English (what logs and the audit trail record); `text` is the same message as marked for
    translation, shown in the reader's language by `as_dict(translations)`. A message not yet marked is shown as it
    is in every language.
    """

    code: str
    message: str
    text: Text = field(compare=False)

    def __init__(self, code: str, message: str | Text) -> None:
        text = message if isinstance(message, Text) else Text(message)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "message", str(text) if isinstance(message, Text) else message)
        object.__setattr__(self, "text", text if isinstance(message, Text) else _unmarked(message))

    def as_dict(self, translations: gettext.NullTranslations = ENGLISH) -> dict[str, str]:
        """The reason as JSON-ready data, its message in the language of `translations`."""
        return {"code": self.code, "message": self.text.shown_in(translations)}


def _unmarked(message: str) -> Text:
    # Plain text shown as it is: no catalog lookup, and braces in it are not fields.
    return Text(message.replace("{", "{{").replace("}", "}}"))


@dataclass(frozen=True, slots=True)
class AuditedRefusal:
    """What to record in the audit trail about a refusal, after the refused change is rolled back."""

    actor: Principal
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any] = field(default_factory=dict)
    # The user whose failed attempt at their credentials this was (a wrong password or user id at a signature):
    # counted toward their lockout in the refusal's own transaction, so that the rollback does not undo it.
    failed_attempt_of: int | None = None


class BatchtrackError(Exception):
    """Base error: a code, a message, an HTTP status, and optional detailed reasons."""

    status_code = 400
    default_code = "error"

    def __init__(
        self,
        message: str | Text,
        *,
        code: str | None = None,
        reasons: list[Reason] | None = None,
        audit: AuditedRefusal | None = None,
    ) -> None:
        english = str(message)
        super().__init__(english)
        self.message = english  # what logs and the audit trail record
        self.text = message if isinstance(message, Text) else _unmarked(message)
        self.code = code or self.default_code
        self.reasons = reasons or []
        self.audit = audit

    def as_dict(self, translations: gettext.NullTranslations = ENGLISH) -> dict[str, Any]:
        """The error as the JSON body of an API response, its messages in the language of `translations`."""
        return {
            "error": self.code,
            "message": self.text.shown_in(translations),
            "reasons": [reason.as_dict(translations) for reason in self.reasons],
        }


class BadRequest(BatchtrackError):
    """The request is well formed but cannot be acted on as given."""

    status_code = 400
    default_code = "bad_request"


class NotAuthenticated(BatchtrackError):
    """No valid credentials came with the request."""

    status_code = 401
    default_code = "not_authenticated"


class Forbidden(BatchtrackError):
    """The user is known but not allowed to do this."""

    status_code = 403
    default_code = "forbidden"


class PasswordChangeRequired(Forbidden):
    """The user signed in with a temporary password: nothing else is allowed until they choose their own."""

    default_code = "password_change_required"

    def __init__(self) -> None:
        super().__init__("your password was reset: choose a new password before anything else")


class NotFound(BatchtrackError):
    """The record does not exist (or is not visible to this user)."""

    status_code = 404
    default_code = "not_found"


class Conflict(BatchtrackError):
    """The request conflicts with what is recorded (for example a duplicate)."""

    status_code = 409
    default_code = "conflict"


class InvalidTransition(Conflict):
    """A lifecycle transition refused by its guard; `reasons` lists every unmet condition."""

    default_code = "invalid_transition"


class GateRefused(Conflict):
    """A gate of the chain refused the step; `reasons` lists every unmet condition."""

    default_code = "gate_refused"


class ServiceUnavailable(BatchtrackError):
    """A dependency (the database, a printer) did not answer; nothing was changed."""

    status_code = 503
    default_code = "unavailable"


class IdentityMismatch(Conflict):
    """What was scanned is not what was expected."""

    default_code = "identity_mismatch"


class SignatureRefused(BatchtrackError):
    """An electronic signature could not be made (wrong password, wrong person)."""

    status_code = 403
    default_code = "signature_refused"
