"""Request authentication as WooCommerce does it (``WC_REST_Authentication``).

Over HTTPS: HTTP Basic, or ``consumer_key`` / ``consumer_secret`` in the query string. Over plain HTTP those
are ignored (the request is anonymous, so it gets ``woocommerce_rest_cannot_*``) and only OAuth 1.0a one-legged
works: HMAC-SHA1 or HMAC-SHA256 over the RFC 5849 base string of the method, the URL without query, and every
query parameter plus the ``oauth_*`` ones (from the query or an ``Authorization: OAuth`` header); the key is
``consumer_secret&``; the timestamp must be within 15 minutes and the nonce unused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from syncbridge.sim.woocommerce.errors import WcError

WINDOW_S = 15 * 60
OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)


@dataclass(frozen=True, slots=True)
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"  # read / write / read_write
    capable: bool = True  # the key's user may manage WooCommerce (else 403 on everything)


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKey


def _err(message: str) -> WcError:
    return WcError(401, "woocommerce_rest_authentication_error", message)


def _enc(text: str) -> str:
    return quote(text, safe="-._~")


def base_string(method: str, url: str, pairs: Sequence[tuple[str, str]]) -> str:
    normalized = sorted((_enc(k), _enc(v)) for k, v in pairs if k != "oauth_signature")
    joined = "&".join(f"{k}={v}" for k, v in normalized)
    return "&".join((method.upper(), _enc(url), _enc(joined)))


def sign(algorithm: str, secret: str, text: str) -> str:
    digest = hashlib.sha256 if algorithm == "HMAC-SHA256" else hashlib.sha1
    return base64.b64encode(hmac.new(f"{secret}&".encode(), text.encode(), digest).digest()).decode()


def _oauth_header(value: str) -> list[tuple[str, str]]:
    if not value.lower().startswith("oauth "):
        return []
    pairs = []
    for part in value[6:].split(","):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            pairs.append((unquote(k), unquote(v.strip('"'))))
    return [(k, v) for k, v in pairs if k.startswith("oauth_")]


class Authenticator:
    def __init__(self, keys: Callable[[str], ApiKey | None], clock: Callable[[], float]) -> None:
        self._keys = keys
        self._clock = clock
        self._nonces: dict[str, dict[str, int]] = {}

    def authenticate(
        self,
        *,
        method: str,
        https: bool,
        url: str,
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
    ) -> Principal | None:
        """The caller, None when anonymous; raises 401 ``woocommerce_rest_authentication_error`` on bad keys."""
        if https:
            return self._basic(query, headers)
        return self._oauth(method, url, query, headers)

    def _lookup(self, consumer_key: str) -> ApiKey:
        key = self._keys(consumer_key)
        if key is None:
            raise _err("Consumer key is invalid.")
        return key

    def _basic(self, query: Sequence[tuple[str, str]], headers: Mapping[str, str]) -> Principal | None:
        auth = headers.get("authorization", "")
        ck = cs = None
        if auth.lower().startswith("basic "):
            try:
                ck, _, cs = base64.b64decode(auth[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                ck = cs = None
        if ck is None:
            params = dict(query)
            ck, cs = params.get("consumer_key"), params.get("consumer_secret")
        if not ck or cs is None:
            return None
        key = self._lookup(ck)
        if not hmac.compare_digest(key.consumer_secret, cs):
            raise _err("Consumer secret is invalid.")
        return Principal(key)

    def _oauth(
        self, method: str, url: str, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Principal | None:
        header_pairs = _oauth_header(headers.get("authorization", ""))
        pairs = [*query, *header_pairs]
        given = dict(pairs)
        if not any(k in given for k in OAUTH_REQUIRED):
            return None
        missing = [k for k in OAUTH_REQUIRED if not given.get(k)]
        if missing:
            raise WcError(
                401,
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth parameter {', '.join(missing)}",
            )
        key = self._lookup(given["oauth_consumer_key"])
        algorithm = given["oauth_signature_method"]
        if algorithm not in {"HMAC-SHA1", "HMAC-SHA256"}:
            raise _err("Invalid signature - signature method is invalid.")
        expected = sign(algorithm, key.consumer_secret, base_string(method, url, pairs))
        provided = given["oauth_signature"].replace(" ", "+")
        if not hmac.compare_digest(expected, provided):
            raise _err("Invalid signature - provided signature does not match.")
        try:
            stamp = int(given["oauth_timestamp"])
        except ValueError:
            raise _err("Invalid timestamp.") from None
        now = int(self._clock())
        if abs(now - stamp) > WINDOW_S:
            raise _err("Invalid timestamp.")
        used = self._nonces.setdefault(key.consumer_key, {})
        nonce = given["oauth_nonce"]
        if nonce in used:
            raise _err("Invalid nonce - nonce has already been used.")
        used[nonce] = stamp
        if len(used) > 50_000:
            for old in [n for n, t in used.items() if t < now - WINDOW_S]:
                del used[old]
        return Principal(key)
