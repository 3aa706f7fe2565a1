"""Errors that carry their own HTTP status and machine-readable reasons; one handler renders them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtrack.auth.principal import Principal


@dataclass(frozen=True, slots=True)
class Reason:
    """Why something is refused: a stable code for machines and a message for people."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The reason as JSON-ready data."""
        return {"code": self.code, "message": self.message}


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
        message: str,
        *,
        code: str | None = None,
        reasons: list[Reason] | None = None,
        audit: AuditedRefusal | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.reasons = reasons or []
        self.audit = audit

    def as_dict(self) -> dict[str, Any]:
        """The error as the JSON body of an API response."""
        return {
            "error": self.code,
            "message": self.message,
            "reasons": [reason.as_dict() for reason in self.reasons],
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
