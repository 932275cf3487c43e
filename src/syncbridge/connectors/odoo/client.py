"""Odoo's external API over httpx: JSON-RPC (default), XML-RPC and JSON-2, with one error mapping.

``OdooClient.execute(model, method, *args, **kwargs)`` is ``execute_kw``. Every request passes the gate; reads
(``retry=True``) are retried on transient errors up to 3 times, honouring ``Retry-After``; writes are not.
A method returning None comes back as ``None`` on every transport (over XML-RPC, Odoo's "cannot marshal None"
fault, raised after the commit, is that success).
"""

from __future__ import annotations

import itertools
import time
import xmlrpc.client
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from syncbridge.connectors.base import NullGate, RequestGate, tls_verify
from syncbridge.connectors.odoo import errors
from syncbridge.errors import AuthError, ConfigError, SyncError, TransientError

PROTOCOLS = ("jsonrpc", "xmlrpc", "json2")
READ_RETRIES = 3

# JSON-2 takes named arguments only: the positional arguments of execute_kw, by method.
_JSON2_NAMES: dict[str, tuple[str, ...]] = {
    "search": ("domain",),
    "search_read": ("domain", "fields"),
    "search_count": ("domain",),
    "read": ("ids", "fields"),
    "create": ("vals_list",),
    "write": ("ids", "vals"),
    "unlink": ("ids",),
    "fields_get": ("allfields", "attributes"),
}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class OdooClient:
    def __init__(
        self,
        base_url: str,
        database: str,
        login: str,
        api_key: str,
        *,
        protocol: str = "jsonrpc",
        timeout: float = 30.0,
        verify: bool | str = True,
        gate: RequestGate | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ConfigError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
        self.database = database
        self.login = login
        self.api_key = api_key
        self.protocol = protocol
        self.gate: RequestGate = gate or NullGate()
        self._own_client = client is None
        self.http = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, verify=tls_verify(verify))
        self.sleep = sleep
        self._ids = itertools.count(1)
        self._uid: int | None = None

    def close(self) -> None:
        if self._own_client:
            self.http.close()

    # -- one HTTP exchange ---------------------------------------------------------------------------------
    def _post(self, path: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response:
        self.gate.before_request()
        retry_after: float | None = None
        try:
            response = self.http.post(path, content=content, headers=headers)
            if response.status_code in {429, 503}:
                retry_after = _retry_after(response)
        except httpx.TimeoutException as exc:
            raise TransientError(f"Odoo did not answer in time ({type(exc).__name__})", code="timeout") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"connection to Odoo failed: {type(exc).__name__}: {exc}", code="connection") from exc
        finally:  # also after a failure, so an in-flight cap is released
            self.gate.after_response(retry_after)
        json2 = path.startswith("/json/2/")
        if response.status_code != 200 and not (json2 and response.status_code < 500 and response.status_code != 429):
            raise errors.from_status(response.status_code, retry_after, response.text)
        return response

    def _jsonrpc(self, service: str, method: str, args: list[Any]) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        response = self._post("/jsonrpc", content=orjson.dumps(payload), headers={"content-type": "application/json"})
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise TransientError("Odoo sent a body that is not JSON", code="bad_response") from exc
        error = body.get("error")
        if error:
            data = error.get("data") or {}
            if error.get("code") == 100:
                raise AuthError("Odoo session expired", code="odoo_session_expired")
            raise errors.from_error_name(str(data.get("name", "")), str(data.get("message") or error.get("message")))
        return body.get("result")  # absent when the method returned None

    def _xmlrpc(self, service: str, method: str, args: list[Any]) -> Any:
        content = xmlrpc.client.dumps(tuple(args), methodname=method, allow_none=False).encode()
        response = self._post(f"/xmlrpc/2/{service}", content=content, headers={"content-type": "text/xml"})
        try:
            (result,), _ = xmlrpc.client.loads(response.content, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            if errors.is_none_fault(fault.faultCode, fault.faultString):
                return None
            raise errors.from_fault(fault.faultCode, fault.faultString) from None
        except (xmlrpc.client.ResponseError, ValueError) as exc:  # expat errors are ValueErrors
            raise TransientError(f"Odoo sent a malformed XML-RPC body: {exc}", code="bad_response") from exc
        return result

    def _json2(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        names = _JSON2_NAMES.get(method, ("ids",))
        if len(args) > len(names):
            raise ConfigError(f"JSON-2 cannot pass {len(args)} positional arguments to {method}")
        payload = {**dict(zip(names, args, strict=False)), **kwargs}
        response = self._post(
            f"/json/2/{model}/{method}",
            content=orjson.dumps(payload),
            headers={
                "content-type": "application/json",
                "authorization": f"bearer {self.api_key}",
                "x-odoo-database": self.database,
            },
        )
        body = orjson.loads(response.content) if response.content else None
        if response.status_code != 200:
            if isinstance(body, dict) and body.get("name"):
                raise errors.from_error_name(str(body["name"]), str(body.get("message", "")))
            raise errors.from_status(response.status_code, None, response.text)
        return body

    def _call(self, service: str, method: str, args: list[Any]) -> Any:
        if self.protocol == "xmlrpc":
            return self._xmlrpc(service, method, args)
        return self._jsonrpc(service, method, args)

    # -- the API ---------------------------------------------------------------------------------------------
    def version(self) -> dict[str, Any]:
        result = self._with_retries(lambda: self._call("common", "version", []))
        if not isinstance(result, dict):
            raise TransientError("Odoo's version answer is not a mapping", code="bad_response")
        return result

    @property
    def uid(self) -> int:
        if self._uid is None:
            self._uid = self.authenticate()
        return self._uid

    def authenticate(self) -> int:
        uid = self._with_retries(
            lambda: self._call("common", "authenticate", [self.database, self.login, self.api_key, {}])
        )
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise AuthError(
                f"Odoo refused login {self.login!r} on database {self.database!r} (wrong login or API key)",
                code="odoo_authenticate",
            )
        return uid

    def execute(self, model: str, method: str, *args: Any, retry: bool = False, **kwargs: Any) -> Any:
        def once() -> Any:
            if self.protocol == "json2":
                return self._json2(model, method, list(args), kwargs)
            call = [self.database, self.uid, self.api_key, model, method, list(args)]
            if kwargs:
                call.append(kwargs)
            return self._call("object", "execute_kw", call)

        return self._with_retries(once) if retry else once()

    def _with_retries(self, func: Callable[[], Any]) -> Any:
        for attempt in range(READ_RETRIES + 1):
            try:
                return func()
            except SyncError as error:
                if not error.retryable or attempt == READ_RETRIES:
                    raise
                delay = error.retry_after if error.retry_after is not None else 0.2 * 2**attempt
                self.sleep(min(delay, 30.0))
        raise AssertionError("unreachable")  # pragma: no cover
