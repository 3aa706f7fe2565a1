"""Password hashing with argon2 (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from batchtrack.errors import BadRequest

MIN_PASSWORD_LENGTH = 12


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


def check_strength(password: str) -> None:
    """Refuse a password too short or made of one repeated character."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", code="password_weak")
    if len(set(password)) < 4:
        raise BadRequest("a password needs at least 4 different characters", code="password_weak")
    if "\x00" in password:
        raise BadRequest("a password cannot contain NUL characters", code="password_invalid")


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
