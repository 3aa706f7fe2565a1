"""Passwords: the rules a new password meets, and hashing with argon2 (argon2-cffi).

A new password is long enough (setting `password_min_length`), is not one of the most common passwords (the list
shipped beside this module, compared without regard to case, also once the digits and symbols people add at either
end are taken off), does not contain the user name, and is none of the user's last `password_history_count`
passwords nor the one they hold now.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from batchtrack.errors import BadRequest, Reason
from batchtrack.i18n.text import Text, _

MIN_PASSWORD_LENGTH = 12  # the setting's default; the setting decides
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# What people add to a common password to get past a rule ("Password123!", "!!monkey2026"): taken off both ends.
_DECORATION = "0123456789!@#$%^&*()_+-=.,;:?~ "


class _Hashing:
    """The hasher in use, and a hash made with it to verify against when the user does not exist."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        # An unknown user name then costs as long as a wrong password.
        self.dummy_hash = hasher.hash("batchtrack-timing-equaliser")


_current = _Hashing(PasswordHasher())  # argon2id with the library's (RFC 9106) defaults


def set_hasher(hasher: PasswordHasher) -> None:
    """Use another argon2 cost profile (test suites and benchmarks only; stored hashes carry their own)."""
    global _current
    _current = _Hashing(hasher)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Whether the password is a common one, as it is or once the digits and symbols at its ends are taken off."""
    lowered = password.lower()
    bare = lowered.strip(_DECORATION)
    common = common_passwords()
    return lowered in common or (len(bare) >= 4 and bare in common)


def weaknesses(password: str, *, username: str, min_length: int) -> list[Reason]:
    """Why a new password may not be chosen, without regard to the user's past passwords (pure); [] when it may."""
    found = []
    if "\x00" in password:
        found.append(Reason("password_invalid", _("a password cannot contain NUL characters")))
    if len(password) < min_length:
        found.append(Reason("password_too_short", _("a password needs at least {min_length} characters",
                                                                   min_length=min_length)))
    if len(set(password)) < 4:
        found.append(Reason("password_too_simple", _("a password needs at least 4 different characters")))
    if is_common(password):
        found.append(Reason("password_common", _("this password is one of the most common passwords; "
                                                       "choose another")))
    if username and username.lower() in password.lower():
        found.append(Reason("password_contains_username", _("a password may not contain the user name")))
    return found


def reused(password: str, hashes: Iterable[str]) -> bool:
    """Whether the password is the one any of these hashes was made from (one argon2 verification each)."""
    return any(verify_password(stored, password) for stored in hashes)


def require_acceptable(password: str, *, username: str, min_length: int, past_hashes: Iterable[str] = ()) -> None:
    """Refuse (400, every reason listed) a new password that breaks a rule or is one of `past_hashes`."""
    found = weaknesses(password, username=username, min_length=min_length)
    if not found and reused(password, past_hashes):
        found.append(Reason("password_reused", _("this password was used recently; choose one not used "
                                                       "before")))
    if found:
        raise BadRequest(_("the new password is refused: {why}", why=_listed([r.text for r in found])),
                         code=found[0].code, reasons=found)


def _listed(texts: list[Text]) -> Text:
    """Several messages read as one, separated by semicolons, each in the reader's language."""
    joined = texts[-1]
    for text in reversed(texts[:-1]):
        joined = _("{first}; {rest}", first=text, rest=joined)
    return joined


def hash_password(password: str) -> str:
    """Hash a new password."""
    return _current.hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than the hasher's now (it is then hashed anew at the
    next successful sign-in)."""
    try:
        return _current.hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an absent hash still costs one verification."""
    try:
        return _current.hasher.verify(password_hash or _current.dummy_hash, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
