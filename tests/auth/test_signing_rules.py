"""The rule of when a signature may be applied (pure): the user id with the password at the first signing of a
session and at every signing outside one; a wrong component counts toward lockout, a missing one does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batchtrack.auth import signing_rules
from batchtrack.auth.signing_rules import Attempt

SIGNED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _attempt(typed: str = "", *, password: bool = True, locked: bool = False, needed: bool = True) -> Attempt:
    return Attempt(signer_username="qa-mina", typed_username=typed, password_matches=password, locked=locked,
                   user_id_needed=needed)


@pytest.mark.parametrize(("session_id", "token_id", "first_signed_at", "needed"), [
    (7, None, None, True),  # a browser session's first signature
    (7, None, SIGNED, False),  # a later one in the same session
    (None, 3, None, True),  # an API token: never a continuous session
    (None, None, None, True),  # no session at all (the command line, a second signer at the bedside)
])
def test_the_user_id_is_needed_except_after_the_first_signature_of_a_browser_session(
    session_id: int | None, token_id: int | None, first_signed_at: datetime | None, needed: bool
) -> None:
    assert signing_rules.user_id_needed(session_id=session_id, token_id=token_id,
                                        first_signed_at=first_signed_at) is needed


@pytest.mark.parametrize(("attempt", "code", "counted"), [
    (_attempt(), "signature.user_id_required", False),
    (_attempt(password=False), "signature.user_id_required", False),  # refused before the password is judged
    (_attempt("qa-other"), "signature.user_id", True),
    (_attempt("qa-other", needed=False), "signature.user_id", True),  # a user id typed must match, needed or not
    (_attempt("qa-mina", password=False), "signature.password", True),
    (_attempt(password=False, needed=False), "signature.password", True),
    (_attempt("qa-mina", locked=True), "signature.locked", False),
])
def test_each_refusal_names_its_reason_and_whether_it_counts_toward_lockout(
    attempt: Attempt, code: str, counted: bool
) -> None:
    reason = signing_rules.signing_refusal(attempt)
    assert reason is not None and reason.code == code and reason.message
    assert signing_rules.counts_toward_lockout(reason) is counted


@pytest.mark.parametrize("attempt", [_attempt("qa-mina"), _attempt(" QA-Mina "), _attempt(needed=False)])
def test_the_signer_with_the_right_components_may_sign(attempt: Attempt) -> None:
    assert signing_rules.signing_refusal(attempt) is None
