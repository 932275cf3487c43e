from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from syncbridge.config import load_settings
from syncbridge.errors import ConfigError
from syncbridge.store.crypto import CredentialCipher, cipher_from_settings, generate_key

SECRETS = {"consumer_key": "ck_abc", "consumer_secret": "cs_def"}


def test_roundtrip_and_token_hides_secrets() -> None:
    cipher = CredentialCipher([generate_key()])
    token = cipher.encrypt(SECRETS)
    assert all(v not in token for v in SECRETS.values())
    assert cipher.decrypt(token) == SECRETS


def test_rotation_old_tokens_still_open_and_rotate_to_new_key() -> None:
    old, new = generate_key(), generate_key()
    token = CredentialCipher([old]).encrypt(SECRETS)
    both = CredentialCipher([new, old])
    assert both.decrypt(token) == SECRETS
    rotated = both.rotate(token)
    assert CredentialCipher([new]).decrypt(rotated) == SECRETS
    with pytest.raises(ConfigError):
        CredentialCipher([old]).decrypt(rotated)


@pytest.mark.parametrize("keys", [[], ["not-a-key"], ["é" * 44]])
def test_bad_keys_are_config_errors(keys: list[str]) -> None:
    with pytest.raises(ConfigError, match="secret_key"):
        CredentialCipher(keys)


def test_key_file_created_once_with_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "secret"
    settings = load_settings(secret_key_file=path)
    token = cipher_from_settings(settings).encrypt(SECRETS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert cipher_from_settings(settings).decrypt(token) == SECRETS
    assert path.read_text() == first


def test_settings_key_wins_and_may_list_several(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = CredentialCipher([old]).encrypt(SECRETS)
    settings = load_settings(secret_key=f"{new}, {old}", secret_key_file=tmp_path / "unused")
    assert cipher_from_settings(settings).decrypt(token) == SECRETS
    assert not (tmp_path / "unused").exists()
