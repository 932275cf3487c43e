"""Authentication through HTTP: API keys, JWTs (HS256 / RS256) and every way a token must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from apikit import API, HS_SECRET, RsaKeys, Stack, StackFactory, data_of, error_of
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncbridge.store.orgs import revoke_api_key
from syncbridge.store.session import transaction

URL = f"{API}/connections"
OTHER_SECRET = "another-secret-of-sufficient-length-for-hmac-sha256!!"


@pytest.fixture
def stack(shared_stack: Stack) -> Stack:
    return shared_stack


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A token built by hand, to sign with what PyJWT rightly refuses (``none``, a PEM as HMAC secret)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def claims_for(stack: Stack, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"org_id": stack.a.id, "sub": "alice", "exp": int(time.time()) + 300}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def other_rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


TokenMaker = Callable[[Stack, RsaKeys], str]

GOOD: list[tuple[str, TokenMaker]] = [
    ("hs256", lambda s, k: jwt.encode(claims_for(s), HS_SECRET, algorithm="HS256")),
    ("rs256", lambda s, k: jwt.encode(claims_for(s), k.private_pem, algorithm="RS256")),
]

BAD: list[tuple[str, TokenMaker, str]] = [
    (
        "expired",
        lambda s, k: jwt.encode(claims_for(s, exp=int(time.time()) - 60), HS_SECRET, algorithm="HS256"),
        "expired",
    ),
    (
        "wrong hs secret",
        lambda s, k: jwt.encode(claims_for(s), OTHER_SECRET, algorithm="HS256"),
        "signature",
    ),
    (
        "wrong rsa key",
        lambda s, k: jwt.encode(claims_for(s), other_rsa_pem(), algorithm="RS256"),
        "signature",
    ),
    ("alg none", lambda s, k: hand_made({"alg": "none", "typ": "JWT"}, claims_for(s), None), "not accepted"),
    (
        "hs256 signed with the rsa public key",
        lambda s, k: hand_made({"alg": "HS256", "typ": "JWT"}, claims_for(s), k.public_pem.encode()),
        "signature",
    ),
    (
        "hs384 not accepted",
        lambda s, k: jwt.encode(claims_for(s), HS_SECRET, algorithm="HS384"),
        "not accepted",
    ),
    (
        "missing org_id",
        lambda s, k: jwt.encode(claims_for(s, org_id=None), HS_SECRET, algorithm="HS256"),
        "org_id",
    ),
    (
        "empty org_id",
        lambda s, k: jwt.encode(claims_for(s, org_id=""), HS_SECRET, algorithm="HS256"),
        "org_id",
    ),
    (
        "missing exp",
        lambda s, k: jwt.encode(claims_for(s, exp=None), HS_SECRET, algorithm="HS256"),
        "exp",
    ),
    (
        "unknown organization",
        lambda s, k: jwt.encode(claims_for(s, org_id="f" * 32), HS_SECRET, algorithm="HS256"),
        "organization",
    ),
    ("garbage", lambda s, k: "not-a-token", "invalid token"),
    ("unknown api key", lambda s, k: "sbk_deadbeef_" + "x" * 40, "API key"),
]


@pytest.mark.parametrize(("name", "make"), GOOD, ids=[g[0] for g in GOOD])
def test_valid_tokens_are_accepted(stack: Stack, rsa_keys: RsaKeys, name: str, make: TokenMaker) -> None:
    response = stack.client.get(URL, headers={"Authorization": f"Bearer {make(stack, rsa_keys)}"})
    assert response.status_code == 200, response.text
    assert [c["id"] for c in data_of(response)] == [stack.a.woo_connection]


@pytest.mark.parametrize(("name", "make", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_tokens_are_refused(stack: Stack, rsa_keys: RsaKeys, name: str, make: TokenMaker, says: str) -> None:
    token = make(stack, rsa_keys)
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-Api-Key": token}):
        body = error_of(stack.client.get(URL, headers=headers), 401)
        assert says.lower() in body["error"].lower()
        assert body["details"]["code"] == "auth_error"


def test_hs256_refused_when_no_secret_is_configured(stack_factory: StackFactory) -> None:
    stack = stack_factory(jwt_hs256_secret=None)
    token = jwt.encode(claims_for(stack), HS_SECRET, algorithm="HS256")
    error_of(stack.client.get(URL, headers={"Authorization": f"Bearer {token}"}), 401)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"X-Api-Key": ""}],
    ids=["none", "empty bearer", "basic", "empty key"],
)
def test_missing_credentials(stack: Stack, headers: dict[str, str]) -> None:
    body = error_of(stack.client.get(URL, headers=headers), 401)
    assert "credentials" in body["error"]


@pytest.mark.parametrize("how", ["x-api-key", "bearer"])
def test_api_key_in_either_header(stack: Stack, how: str) -> None:
    headers = {"X-Api-Key": stack.b.key} if how == "x-api-key" else {"Authorization": f"Bearer {stack.b.key}"}
    assert [c["id"] for c in data_of(stack.client.get(URL, headers=headers))] == [stack.b.woo_connection]


def test_revoked_key_is_refused(stack_factory: StackFactory) -> None:
    stack = stack_factory()
    prefix = stack.a.key.split("_")[1]
    with transaction(stack.services.engine) as conn:
        assert revoke_api_key(conn, stack.a.id, prefix)
    error_of(stack.client.get(URL, headers=stack.a.headers), 401)
    assert stack.client.get(URL, headers=stack.b.headers).status_code == 200


@pytest.mark.parametrize(
    ("x_org", "status"), [("own", 200), ("other", 401), ("unknown", 401)], ids=["own", "other", "unknown"]
)
def test_x_org_id_must_match(stack: Stack, x_org: str, status: int) -> None:
    value = {"own": stack.a.id, "other": stack.b.id, "unknown": "nope"}[x_org]
    response = stack.client.get(URL, headers={**stack.a.headers, "X-Org-Id": value})
    assert response.status_code == status
    if status == 401:
        assert error_of(response, 401)["error"] == "X-Org-Id does not match the credentials"
