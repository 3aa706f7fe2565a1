"""Password hashing with argon2 (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from batchtrack.errors import BadRequest

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so an unknown name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("batchtrack-timing-equaliser")


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
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an absent hash still costs one verification."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
