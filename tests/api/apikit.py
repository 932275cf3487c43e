"""Helpers of the API tests: the stack (real services over a fresh hub), organizations, envelopes."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from fastapi import FastAPI

from syncbridge.api.app import create_app
from syncbridge.config import Settings
from syncbridge.services.container import Services, build_services
from syncbridge.sim.server import SimServer
from syncbridge.store.connections import add_connection
from syncbridge.store.crypto import cipher_from_settings, generate_key
from syncbridge.store.orgs import create_api_key, create_org
from syncbridge.store.session import transaction

API = "/api/v1/integrations"
HS_SECRET = "test-hs256-secret-that-is-long-enough-for-any-hmac-sha"
WEBHOOK_SECRET = "whsec-test-0123456789"


@dataclass(frozen=True)
class RsaKeys:
    private_pem: str
    public_pem: str


def make_settings(database_url: str, tmp_path: Path, rsa_keys: RsaKeys, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": generate_key(),
        "secret_key_file": tmp_path / "secret.key",
        "api_rate_limit_per_minute": 100_000,
        "jwt_hs256_secret": HS_SECRET,
        "jwt_rs256_public_key": rsa_keys.public_pem,
        "preview_ttl_s": 600,
        "redis_url": None,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Org:
    id: str
    key: str
    woo_connection: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


@dataclass
class Stack:
    services: Services
    app: FastAPI
    server: SimServer
    client: httpx.Client
    a: Org
    b: Org

    def token(self, org: Org, **claims: Any) -> str:
        payload = {"org_id": org.id, "sub": "tester", "exp": int(time.time()) + 300, **claims}
        return jwt.encode(payload, HS_SECRET, algorithm="HS256")


def add_org(services: Services, name: str) -> Org:
    cipher = cipher_from_settings(services.settings)
    with transaction(services.engine) as conn:
        org = create_org(conn, name)
        _, key = create_api_key(conn, org.id, name="tests")
        woo = add_connection(
            conn,
            org.id,
            system="woocommerce",
            name="shop",
            base_url="http://127.0.0.1:9",
            secrets={
                "consumer_key": "ck_0123456789abcdef",
                "consumer_secret": "cs_0123456789abcdef",
                "webhook_secret": WEBHOOK_SECRET,
            },
            cipher=cipher,
        )
    return Org(id=org.id, key=key, woo_connection=woo.id)


def open_stack(settings: Settings) -> tuple[Services, FastAPI]:
    services = build_services(settings)
    return services, create_app(services)


StackFactory = Callable[..., Stack]


def data_of(response: Any) -> Any:
    body = response.json()
    assert body["success"] is True, body
    assert set(body["meta"]) == {"timestamp", "requestId", "processingTime"}
    return body["data"]


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert body["details"]["requestId"]
    return body


def add_conflict(services: Services, org_id: str, *, run_id: str | None = None, email: str = "a@example.com") -> str:
    """A data-mismatch conflict as the engine records it (no operation: it can be skipped, not applied)."""
    from syncbridge.domain.conflicts import ConflictType, Strategy
    from syncbridge.store.conflicts import ConflictDraft, record_conflict

    draft = ConflictDraft(
        entity="customers",
        conflict_type=ConflictType.DATA_MISMATCH,
        strategy=Strategy.MANUAL,
        run_id=run_id,
        natural_key=email,
        source_system="woocommerce",
        target_system="hub",
        diff={"name": {"old": "Ann", "new": "Anne"}},
        error_code="data_mismatch",
        error_message="name differs",
    )
    with transaction(services.engine) as conn:
        return record_conflict(conn, org_id, draft)


def start_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": "start",
        "systems": ["woocommerce", "odoo"],
        "entityTypes": ["customers"],
        "direction": "two-way",
        "syncConfig": {"batchSize": 50, "batchDelayMs": 0, "maxRetries": 2, "dryRun": True},
    }
    body.update(changes)
    return body


@contextmanager
def stacks(directory: Path, template: Path, rsa_keys: RsaKeys) -> Iterator[StackFactory]:
    opened: list[Stack] = []

    def factory(database_url: str | None = None, **overrides: Any) -> Stack:
        if database_url is None:
            copy = directory / f"hub{len(opened)}.db"
            shutil.copyfile(template, copy)
            database_url = f"sqlite:///{copy}"
        services, app = open_stack(make_settings(database_url, directory, rsa_keys, **overrides))
        server = SimServer(app).start()
        client = httpx.Client(base_url=server.url, timeout=30)
        stack = Stack(services, app, server, client, add_org(services, "org-a"), add_org(services, "org-b"))
        opened.append(stack)
        return stack

    try:
        yield factory
    finally:
        for stack in opened:
            stack.client.close()
            stack.server.stop()
            stack.services.close()
