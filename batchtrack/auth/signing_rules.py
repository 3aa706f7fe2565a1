"""When an electronic signature may be applied: the two components of 21 CFR 11.200(a)(1), and the lockout.

The first signing in a continuous session of controlled access needs the user id and the password; later
signings in the same session need the password (a user id typed then must still be the signer's). A browser
session held by the server is such a session; a bearer token is not (every signing by token needs both), nor is
work done outside any session (the command line, a second signer at the bedside who is not the session's user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason
from batchtrack.i18n.text import _

USER_ID_REQUIRED = "signature.user_id_required"
WRONG_USER_ID = "signature.user_id"
WRONG_PASSWORD = "signature.password"  # noqa: S105 - a reason code, not a secret
LOCKED = "signature.locked"
# A wrong component is a guess at the signer's credentials: it counts toward lockout like a failed sign-in
# (21 CFR 11.300(d)). A missing user id or a locked account is refused before any component is judged.
FAILED_ATTEMPTS = frozenset({WRONG_USER_ID, WRONG_PASSWORD})
# The audit action of a failed signature counted toward lockout (the lockout itself is `auth.locked`).
FAILED_ACTION = "signature.failed"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt to sign, as the rule sees it: who signs, what was typed, and what is known of both."""

    signer_username: str
    typed_username: str  # "" when no user id was typed
    password_matches: bool
    locked: bool
    user_id_needed: bool


def user_id_needed(*, session_id: int | None, token_id: int | None, first_signed_at: datetime | None) -> bool:
    """Whether this signing needs the user id as well as the password (pure).

    Only a browser session that has a signature already may sign with the password alone.
    """
    in_browser_session = session_id is not None and token_id is None
    return not (in_browser_session and first_signed_at is not None)


def same_user(typed: str, username: str) -> bool:
    """Whether a typed user id names the user `username` (as sign-in reads it: spaces around and case ignored)."""
    return typed.strip().lower() == username.strip().lower()


def signing_refusal(attempt: Attempt) -> Reason | None:
    """Why the signature may not be applied (pure); None when it may."""
    if attempt.locked:
        return Reason(LOCKED, _("the account is locked after too many failed attempts: the signature was not "
                                "applied (an administrator can say when it opens again)"))
    typed = attempt.typed_username.strip()
    if not typed and attempt.user_id_needed:
        return Reason(USER_ID_REQUIRED, _("enter your user ID with your password: the first signature in a "
                                          "session, and every signature through an API token, needs both"))
    if typed and not same_user(typed, attempt.signer_username):
        return Reason(WRONG_USER_ID, _("the user ID is not the signer's: the signature was not applied"))
    if not attempt.password_matches:
        return Reason(WRONG_PASSWORD, _("the password does not match the signer: the signature was not applied"))
    return None


def counts_toward_lockout(reason: Reason) -> bool:
    """Whether a refused signature was a failed attempt at the signer's credentials (pure)."""
    return reason.code in FAILED_ATTEMPTS
