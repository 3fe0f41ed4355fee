"""Symmetric encryption of secrets at rest (router passwords, API tokens) with key rotation."""

import base64
import binascii
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "CONFIG_KEY",
    "MIN_PASSPHRASE_LENGTH",
    "TOKEN_PREFIX",
    "SecretBox",
    "SecretDecryptError",
    "SecretKeyMissing",
    "generate_key",
    "is_encrypted",
]

CONFIG_KEY = "isp_secret_key"
TOKEN_PREFIX = "v1:"
MIN_PASSPHRASE_LENGTH = 16
# Fixed so the same passphrase always derives the same key on every server.
_KDF_CONTEXT = b"isp-suite-secret-v1"
_FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")


class SecretKeyMissing(Exception):
    """Raised when no encryption key is configured."""


class SecretDecryptError(Exception):
    """Raised when a stored secret cannot be decrypted (wrong key, tampering, bad format)."""


def generate_key() -> str:
    """Return a fresh random Fernet key suitable for `isp_secret_key`."""
    return Fernet.generate_key().decode("ascii")


def is_encrypted(value) -> bool:
    """Tell whether *value* looks like a token produced by SecretBox.encrypt."""
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def _fernet_key_bytes(key: str) -> bytes | None:
    """Return *key* as Fernet key bytes if it is a urlsafe-base64 32-byte key, else None."""
    # 32 bytes encode to 43 characters plus one '=' of padding.
    if not _FERNET_KEY.fullmatch(key):
        return None
    try:
        base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError):
        return None
    return key.encode("ascii")


def _derive_key(passphrase: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_CONTEXT, info=_KDF_CONTEXT)
    return base64.urlsafe_b64encode(hkdf.derive(passphrase.encode("utf-8")))


def _parse_keys(value: str) -> list[bytes]:
    if not isinstance(value, str):
        raise TypeError(f"The secret key must be text, not {type(value).__name__}.")
    parts = [part.strip() for part in value.split(",")]
    keys = []
    # Key material never goes into messages: only its position and length.
    for position, part in enumerate(parts, start=1):
        if not part:
            if len(parts) > 1:
                raise ValueError(f"Secret key #{position} of {len(parts)} is empty.")
            raise ValueError("The secret key is empty.")
        key = _fernet_key_bytes(part)
        if key is None:
            if len(part) < MIN_PASSPHRASE_LENGTH:
                raise ValueError(
                    f"Secret key #{position} is too short ({len(part)} characters): use a "
                    f"Fernet key or a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters."
                )
            key = _derive_key(part)
        keys.append(key)
    return keys


class SecretBox:
    """Encrypts with the first configured key and decrypts with any of them."""

    def __init__(self, key: str):
        self._fernet = MultiFernet([Fernet(k) for k in _parse_keys(key)])

    def __repr__(self) -> str:
        return "<SecretBox>"

    @classmethod
    def from_config(cls, value: str | None) -> "SecretBox":
        """Build a box from the `isp_secret_key` server option; raise SecretKeyMissing if unset."""
        # Odoo's config returns False or None for options that are not set.
        if not value or (isinstance(value, str) and not value.strip()):
            raise SecretKeyMissing(
                "No secret key configured: set isp_secret_key in the Odoo server "
                "configuration file (see the README)."
            )
        return cls(value)

    def encrypt(self, plaintext: str) -> str:
        """Return a `v1:`-prefixed token holding *plaintext*."""
        if not isinstance(plaintext, str):
            raise TypeError(f"Only text can be encrypted, not {type(plaintext).__name__}.")
        return TOKEN_PREFIX + self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def _token_bytes(self, token: str) -> bytes:
        if not is_encrypted(token):
            raise SecretDecryptError("The value is not an encrypted secret (unknown format).")
        try:
            return token[len(TOKEN_PREFIX) :].encode("ascii")
        except UnicodeEncodeError:
            raise SecretDecryptError("The encrypted secret is corrupted.") from None

    def decrypt(self, token: str) -> str:
        """Return the plaintext of *token*; raise SecretDecryptError if it cannot be read."""
        try:
            data = self._fernet.decrypt(self._token_bytes(token))
            return data.decode("utf-8")
        except (InvalidToken, UnicodeDecodeError):
            # `from None` keeps the key-bearing cryptography traceback out of logs.
            raise SecretDecryptError(
                "The encrypted secret could not be decrypted: wrong key or tampered value."
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt *token* with the current (first) key."""
        try:
            return TOKEN_PREFIX + self._fernet.rotate(self._token_bytes(token)).decode("ascii")
        except InvalidToken:
            raise SecretDecryptError(
                "The encrypted secret could not be re-encrypted: wrong key or tampered value."
            ) from None
