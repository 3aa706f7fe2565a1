"""The checkpoint signing key: an Ed25519 key pair whose private half lives in a file outside the database.

The private key is written once with owner-only permissions and never printed or logged; what leaves this module
is the public key (PEM, or raw bytes for the checkpoint log) and its id.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from batchtrack.i18n.text import Text, _


class KeyProblem(Exception):
    """The signing key cannot be created, read or used; the message says why and what to do."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = str(message)  # the English, as logs record it
        self.text = message  # in the reader's language where it is shown


def key_id(public_raw: bytes) -> str:
    """A short, stable name of a public key: the first 16 hex digits of SHA-256 over its 32 raw bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A public key as the checkpoint log and inspectors know it."""

    raw: bytes

    @property
    def id(self) -> str:
        """The key's id (see `key_id`)."""
        return key_id(self.raw)

    @property
    def encoded(self) -> str:
        """The raw key in base64, as written in the checkpoint log."""
        return base64.b64encode(self.raw).decode("ascii")

    def pem(self) -> str:
        """The key as a PEM SubjectPublicKeyInfo block, the form `openssl pkeyutl -pubin` reads."""
        return Ed25519PublicKey.from_public_bytes(self.raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @classmethod
    def from_encoded(cls, text: str) -> PublicKey:
        """The key from its base64 form; ValueError when it is not 32 bytes of base64."""
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return cls(raw)


@dataclass(frozen=True)
class SigningKey:
    """The private key, held only to sign; its repr never shows the key."""

    _private: Ed25519PrivateKey
    public: PublicKey

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(id={self.public.id})"


def _public_of(private: Ed25519PrivateKey) -> PublicKey:
    return PublicKey(private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def generate() -> SigningKey:
    """A new key pair, held in memory only (`create` writes one to its file)."""
    private = Ed25519PrivateKey.generate()
    return SigningKey(private, _public_of(private))


def create(path: Path) -> SigningKey:
    """Write a new private key to `path` (owner read/write only); refused when the file exists."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    made = generate()
    pem = made._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        # O_EXCL: never replace a key (its checkpoints could no longer be extended); 0600 from the first byte.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyProblem(_("{path} exists: a signing key is never overwritten (use `batchtrack audit key rotate`)",
                           path=str(path))) from exc
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
        stream.flush()
        os.fsync(stream.fileno())
    return made


def load(path: Path) -> SigningKey:
    """Read the private key; refused when missing, readable by others than its owner, or not an Ed25519 key."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise KeyProblem(_("no checkpoint signing key at {path}: create one with `batchtrack audit key create`",
                           path=str(path))) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(_("{path} may be read by others than its owner (mode {mode}): chmod 600 it, and consider "
                           "the key exposed (rotate it)", path=str(path), mode=format(stat.S_IMODE(mode), "o")))
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyProblem(_("{path} is not an unencrypted PEM private key", path=str(path))) from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyProblem(_("{path} is not an Ed25519 key", path=str(path)))
    return SigningKey(private, _public_of(private))


def retire(path: Path) -> None:
    """Destroy a private key file once its successor is in force (its public half stays in the log)."""
    size = path.stat().st_size
    # Overwritten before it is unlinked, so a plain undelete of the file does not bring the key back.
    with path.open("r+b") as stream:
        stream.write(os.urandom(size))
        stream.flush()
        os.fsync(stream.fileno())
    path.unlink()
