"""Who is calling: an organization's API key (``sbk_...``) or a JWT bearer token.

JWTs: HS256 with ``settings.jwt_hs256_secret`` or RS256 with ``settings.jwt_rs256_public_key`` (PEM). Each
algorithm is bound to its own key, and decoding is allowed for exactly that one algorithm, so a token signed
with HS256 using the RSA *public* key is refused (algorithm confusion), as is ``alg: none``. ``exp`` and a
non-empty ``org_id`` claim are required, and the organization must exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.errors import AuthError
from syncbridge.store.orgs import KEY_SCHEME, get_org, verify_api_key
from syncbridge.store.session import transaction

_MAX_TOKEN = 8192


@dataclass(frozen=True, slots=True)
class Principal:
    org_id: str
    method: str  # "api_key" | "jwt"
    subject: str  # who, for audit fields (resolved_by): "api-key:<prefix>" or the token's ``sub``


def pick_credential(bearer: str | None, api_key: str | None) -> str:
    """The credential to check: the bearer token, else ``X-Api-Key``; none at all is a 401."""
    for value in (bearer, api_key):
        if value and value.strip():
            return value.strip()
    raise AuthError("missing credentials: send Authorization: Bearer <token or API key> or X-Api-Key")


def is_api_key(credential: str) -> bool:
    return credential.startswith(f"{KEY_SCHEME}_")


@lru_cache(maxsize=4)
def _rsa_key(pem: str) -> RSAPublicKey:
    key = load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, RSAPublicKey):
        raise AuthError("jwt_rs256_public_key is not an RSA public key")
    return key


def _key_for(alg: Any, settings: Settings) -> Any:
    if alg == "HS256" and settings.jwt_hs256_secret:
        return settings.jwt_hs256_secret
    if alg == "RS256" and settings.jwt_rs256_public_key:
        try:
            return _rsa_key(settings.jwt_rs256_public_key)
        except ValueError:
            raise AuthError("RS256 tokens are not accepted: the configured public key is unreadable") from None
    raise AuthError(f"token algorithm {alg!r} is not accepted")


def decode_jwt(token: str, settings: Settings) -> dict[str, Any]:
    """The verified claims of ``token``; any problem is an ``AuthError`` saying what (never why in detail)."""
    if len(token) > _MAX_TOKEN:
        raise AuthError("invalid token")
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError:
        raise AuthError("invalid token: not an API key or a JWT") from None
    key = _key_for(alg, settings)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[str(alg)], options={"require": ["exp"], "verify_aud": False}
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.InvalidSignatureError:
        raise AuthError("invalid token signature") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"token is missing the {exc.claim!r} claim") from None
    except jwt.InvalidTokenError:
        raise AuthError("invalid token") from None
    org_id = claims.get("org_id")
    if not isinstance(org_id, str) or not org_id:
        raise AuthError("token is missing the 'org_id' claim")
    return claims


def authenticate(engine: Engine, settings: Settings, credential: str) -> Principal:
    if is_api_key(credential):
        with transaction(engine) as conn:
            org_id = verify_api_key(conn, credential)
        if org_id is None:
            raise AuthError("invalid or revoked API key")
        prefix = credential.split("_")[1] if credential.count("_") >= 2 else "?"
        return Principal(org_id=org_id, method="api_key", subject=f"api-key:{prefix}")
    claims = decode_jwt(credential, settings)
    org_id = str(claims["org_id"])
    with transaction(engine) as conn:
        known = get_org(conn, org_id) is not None
    if not known:
        raise AuthError("the token's organization does not exist")
    return Principal(org_id=org_id, method="jwt", subject=f"jwt:{claims.get('sub', '?')}")


def check_org_header(principal: Principal, x_org_id: str | None) -> None:
    if x_org_id is not None and x_org_id.strip() != principal.org_id:
        raise AuthError("X-Org-Id does not match the credentials")
