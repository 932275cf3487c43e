"""Fixtures of the API tests: the real API over real services, two organizations with keys and connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apikit import RsaKeys, Stack, StackFactory, stacks
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncbridge.store.migrate import upgrade


@pytest.fixture(scope="session")
def rsa_keys() -> RsaKeys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return RsaKeys(private_pem, public_pem)


@pytest.fixture(scope="session")
def hub_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite hub; each test copies it (a fresh database without running migrations)."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def stack_factory(tmp_path: Path, hub_template: Path, rsa_keys: RsaKeys) -> Iterator[StackFactory]:
    with stacks(tmp_path, hub_template, rsa_keys) as factory:
        yield factory


@pytest.fixture
def stack(stack_factory: StackFactory) -> Stack:
    """A fresh stack for a test that changes things."""
    return stack_factory()


@pytest.fixture(scope="module")
def shared_stack(tmp_path_factory: pytest.TempPathFactory, hub_template: Path, rsa_keys: RsaKeys) -> Iterator[Stack]:
    """One stack for a module's read-only tests."""
    with stacks(tmp_path_factory.mktemp("shared"), hub_template, rsa_keys) as factory:
        yield factory()
