"""The HTTP edge to a WooCommerce REST API: httpx pool, authentication, paging, retries, error mapping.

Authentication: ``auto`` picks Basic over https and OAuth 1.0a (HMAC-SHA256, credentials in the query) over
plain http, where a real shop refuses Basic; ``basic``, ``query`` and ``oauth`` force one. Every request goes
through the ``RequestGate``. GETs retry transient errors (up to 3 times, honouring ``Retry-After``); writes
never retry here. Every httpx exception and every error answer leaves as a ``syncbridge.errors`` class.
Secrets never reach logs: the ``Link`` header (which echoes query-string keys) is never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from syncbridge.connectors.base import NullGate, RequestGate, tls_verify
from syncbridge.errors import (
    AuthError,
    DuplicateKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SyncError,
    TransientError,
    ValidationError,
)

log = logging.getLogger(__name__)
API = "/wp-json/wc/v3"
GET_RETRIES = 3
DUPLICATE_CODES = {
    "product_invalid_sku",
    "registration-error-email-exists",
    "woocommerce_rest_customer_invalid_email",
}


def _enc(text: str) -> str:
    return quote(text, safe="-._~")


def oauth_params(
    method: str,
    url: str,
    query: list[tuple[str, str]],
    key: str,
    secret: str,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> list[tuple[str, str]]:
    """The query with one-legged OAuth 1.0a (HMAC-SHA256) parameters and signature appended."""
    oauth = [
        ("oauth_consumer_key", key),
        ("oauth_nonce", nonce or secrets.token_hex(16)),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", str(int(now or time.time()))),
        ("oauth_version", "1.0"),
    ]
    pairs = [*query, *oauth]
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in pairs))
    text = "&".join((method.upper(), _enc(url), _enc(normalized)))
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha256).digest()
    return [*pairs, ("oauth_signature", base64.b64encode(digest).decode())]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> SyncError:
    """One WooCommerce error answer -> the typed error (see ``errors_from_body`` for batch items)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"code": f"http_{response.status_code}", "message": response.reason_phrase, "data": {}}
    return error_from_body(response.status_code, body, retry_after=_retry_after(response))


def error_from_body(status: int, body: dict[str, Any], *, retry_after: float | None = None) -> SyncError:
    code = str(body.get("code") or f"http_{status}")
    message = str(body.get("message") or code)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    details = {k: v for k, v in (data or {}).items() if k != "status"}
    if code in DUPLICATE_CODES:
        return DuplicateKeyError(message, code=code, details=details)
    if status == 401:
        return AuthError(message, code=code, details=details)
    if status == 403:
        return PermissionDeniedError(message, code=code, details=details)
    if status in (404, 410):
        return NotFoundError(message, code=code, details=details)
    if status == 429:
        return RateLimitedError(message, code=code, retry_after=retry_after, details=details)
    if status >= 500 or status == 408:
        return TransientError(message, code=code, retry_after=retry_after, details=details)
    return ValidationError(message, code=code, details=details)


def error_from_exception(exc: httpx.HTTPError) -> SyncError:
    """Transport failures are all worth retrying: timeouts, resets, protocol errors, refused connections."""
    return TransientError(f"{type(exc).__name__}: {exc}", code="transport_error")


_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class WooClient:
    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        auth: str = "auto",
        timeout: float = 30.0,
        verify: bool | str = True,
        gate: RequestGate | None = None,
        client: httpx.Client | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.root = base_url.rstrip("/")
        self._key = consumer_key
        self._secret = consumer_secret
        scheme = urlsplit(self.root).scheme
        self.auth = auth if auth != "auto" else ("basic" if scheme == "https" else "oauth")
        if self.auth in {"basic", "query"} and scheme != "https":
            log.warning("WooCommerce %s auth over plain http: a real shop refuses it", self.auth)
        if verify is False:
            log.warning("TLS verification is off for %s", self.root)
        self.gate: RequestGate = gate or NullGate()
        self._sleep = sleep
        self._own = client is None
        self.http = client or httpx.Client(
            timeout=timeout,
            verify=tls_verify(verify),
            limits=httpx.Limits(max_keepalive_connections=8, max_connections=16),
        )
        self.requests = 0

    def close(self) -> None:
        if self._own:
            self.http.close()

    # -- one request ------------------------------------------------------------------------------
    def _send(self, method: str, path: str, params: list[tuple[str, str]], body: Any) -> httpx.Response:
        url = f"{self.root}{API}{path}"
        headers: dict[str, str] = {}
        query = list(params)
        if self.auth == "oauth":
            query = oauth_params(method, url, query, self._key, self._secret)
        elif self.auth == "query":
            query += [("consumer_key", self._key), ("consumer_secret", self._secret)]
        else:
            token = base64.b64encode(f"{self._key}:{self._secret}".encode()).decode()
            headers["authorization"] = f"Basic {token}"
        self.gate.before_request()
        retry_after: float | None = None
        try:
            self.requests += 1
            content = None
            if body is not None:
                content = orjson.dumps(body)
                headers["content-type"] = "application/json"
            response = self.http.request(method, url, params=tuple(query), content=content, headers=headers)
            if response.status_code in (429, 503):
                retry_after = _retry_after(response)
            return response
        except httpx.HTTPError as exc:
            raise error_from_exception(exc) from None
        finally:
            self.gate.after_response(retry_after)

    def request(
        self, method: str, path: str, params: list[tuple[str, str]] | None = None, body: Any = None
    ) -> httpx.Response:
        attempts = GET_RETRIES + 1 if method == "GET" else 1
        for attempt in range(attempts):
            try:
                response = self._send(method, path, params or [], body)
                if response.status_code < 400:
                    return response
                raise error_from_response(response)
            except TransientError as exc:
                if attempt + 1 >= attempts:
                    raise
                self._sleep(min(exc.retry_after if exc.retry_after is not None else 0.2 * 2**attempt, 30.0))
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, params: list[tuple[str, str]] | None = None, body: Any = None) -> Any:
        response = self.request(method, path, params, body)
        try:
            return orjson.loads(response.content)  # several times faster than json on 100-product batches
        except ValueError:
            raise TransientError("the shop answered a body that is not JSON", code="bad_body") from None

    # -- collections ------------------------------------------------------------------------------
    def pages(self, path: str, params: list[tuple[str, str]], per_page: int = 100) -> Iterator[list[Any]]:
        """Each page of a collection, following page numbers until a short or empty page."""
        page = 1
        while True:
            response = self.request("GET", path, [*params, ("per_page", str(per_page)), ("page", str(page))])
            try:
                items = orjson.loads(response.content)
            except ValueError:
                raise TransientError("the shop answered a page that is not JSON", code="bad_body") from None
            if not isinstance(items, list):
                raise TransientError("a collection answered something else than a list", code="bad_body")
            if items:
                yield items
            total_pages = int(response.headers.get("x-wp-totalpages", "0") or 0)
            if not items or page >= total_pages:
                return
            page += 1
