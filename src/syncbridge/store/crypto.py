"""Encryption of connection secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from ``Settings.secret_key`` or, when that is unset, from ``Settings.secret_key_file``; a
missing file is created on first use with one fresh key and mode 0600 (back it up: without it stored
credentials are unreadable). Rotation: either source may hold several keys (comma- or newline-separated),
newest first. The first one encrypts, all of them decrypt (``MultiFernet``); ``CredentialCipher.rotate``
re-encrypts a token with the newest key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from syncbridge.config import Settings
from syncbridge.errors import ConfigError


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _split_keys(text: str) -> list[str]:
    return [k.strip() for k in text.replace(",", "\n").splitlines() if k.strip()]


class CredentialCipher:
    """Encrypts a mapping of secrets to one opaque token and back."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError("secret_key: no encryption key given")
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, UnicodeEncodeError):
            raise ConfigError("secret_key: not a Fernet key (32 url-safe base64-encoded bytes)") from None

    def encrypt(self, secrets: Mapping[str, str]) -> str:
        return self._fernet.encrypt(orjson.dumps(dict(secrets), option=orjson.OPT_SORT_KEYS)).decode("ascii")

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise ConfigError(
                "cannot decrypt stored credentials: the secret key differs from the one that encrypted them"
            ) from None
        data = orjson.loads(plain)
        return {str(k): str(v) for k, v in data.items()}

    def rotate(self, token: str) -> str:
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ConfigError("cannot rotate stored credentials: no known key decrypts them") from None


def read_or_create_key_file(path: Path) -> list[str]:
    """The keys in ``path``; when it does not exist, create it (mode 0600) holding one new key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _split_keys(path.read_text(encoding="ascii"))
    key = generate_key()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return [key]


def cipher_from_settings(settings: Settings) -> CredentialCipher:
    if settings.secret_key:
        return CredentialCipher(_split_keys(settings.secret_key))
    path = settings.secret_key_file
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = read_or_create_key_file(path)
    except OSError as exc:
        raise ConfigError(f"secret_key_file: cannot read or create {path}: {exc.strerror}") from None
    return CredentialCipher(keys)
