"""``OdooSim``: a simulated Odoo 16/17/18 server as an ASGI app (XML-RPC, JSON-RPC and JSON-2 endpoints).

The ASGI app is wrapped in the shared ``FaultInjector``; ``sim.faults`` configures it. Business errors that
a real server raises on its own (a serialization failure under concurrent updates, say) are injected with
``sim.fail_next(error)``; ``sim.deny(model)`` takes a model's access rights from the connection's user.
"""

from __future__ import annotations

import secrets
import threading
import xmlrpc.client
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from syncbridge.sim.faults import FaultConfig, FaultInjector
from syncbridge.sim.odoo import behaviour, calls, protocol, schema
from syncbridge.sim.odoo.exceptions import (
    AccessDenied,
    OdooError,
    PyAttributeError,
    PyTypeError,
    PyValueError,
    missing,
)
from syncbridge.sim.odoo.orm import Env, Table, now_utc
from syncbridge.sim.odoo.reference import seed_reference

if TYPE_CHECKING:
    from syncbridge.sim.odoo.loader import LoadReport
    from syncbridge.sim.seed import SeedData

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

SUPPORTED_VERSIONS = (16, 17, 18)


class OdooSim:
    def __init__(
        self,
        *,
        database: str = "odoo",
        login: str = "admin",
        api_key: str | None = None,
        password: str | None = None,
        version: int = 18,
        seed: int = 0,
        faults: FaultConfig | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"version must be one of {SUPPORTED_VERSIONS}")
        self.database = database
        self.login = login
        self.version = version
        self.api_key = api_key or secrets.token_hex(20)
        self.password = password or secrets.token_urlsafe(12)
        self.uid = 2
        self.env = Env(schema.build(version), version=version, clock=clock, uid=self.uid)
        behaviour.install(self.env)
        seed_reference(self.env, login=login)
        self._lock = threading.Lock()
        self._pending: deque[OdooError] = deque()
        self.calls: list[tuple[str, str]] = []
        self.faults = FaultInjector(self._asgi, faults or FaultConfig(seed=seed))
        self.app = self.faults

    # -- test controls -------------------------------------------------------------------------------------
    def __getitem__(self, model: str) -> Table:
        return self.env[model]

    @property
    def write_count(self) -> int:
        return self.env.write_count

    def load(self, data: SeedData) -> LoadReport:
        """Insert seed records as if created through the API; refusals are counted in the report."""
        from syncbridge.sim.odoo.loader import load

        return load(self, data)

    def fail_next(self, error: OdooError, times: int = 1) -> None:
        """The next ``times`` ``execute_kw`` calls raise ``error`` (without any effect)."""
        self._pending.extend([error] * times)

    def deny(self, model: str) -> None:
        self.env.denied.add(model)

    def allow(self, model: str) -> None:
        self.env.denied.discard(model)

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``execute_kw`` straight on the store (tests, loading), with the server's lock."""
        with self._lock:
            return calls.execute_kw(self.env, model, method, list(args), kwargs)

    # -- services --------------------------------------------------------------------------------------------
    def version_info(self) -> dict[str, Any]:
        return {
            "server_version": f"{self.version}.0",
            "server_version_info": [self.version, 0, 0, "final", 0, ""],
            "server_serie": f"{self.version}.0",
            "protocol_version": 1,
        }

    def _authenticate(self, db: str, login: str, secret: str) -> int | bool:
        if db != self.database:
            raise PyValueError(f'connection to server failed: FATAL:  database "{db}" does not exist')
        if login == self.login and secret in {self.api_key, self.password}:
            return self.uid
        return False

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return self.version_info()
        if method in {"authenticate", "login"}:
            if len(args) < 3:
                raise PyTypeError(f"{method}() missing required positional arguments")
            return self._authenticate(str(args[0]), str(args[1]), str(args[2]))
        if method == "about":
            return "See http://openerp.com"
        raise PyAttributeError(f"The method '{method}' does not exist on the service 'common'")

    def _object(self, method: str, args: list[Any]) -> Any:
        if method not in {"execute_kw", "execute"}:
            raise PyAttributeError(f"The method '{method}' does not exist on the service 'object'")
        if len(args) < 5:
            raise PyTypeError(f"{method}() missing required positional arguments")
        db, uid, secret, model, name = args[:5]
        if db != self.database:
            raise PyValueError(f'connection to server failed: FATAL:  database "{db}" does not exist')
        if secret not in {self.api_key, self.password}:
            raise AccessDenied("Access Denied")
        if uid != self.uid:
            raise missing("res.users", [uid] if isinstance(uid, int) else [], self.uid)
        if method == "execute_kw":
            call_args = list(args[5]) if len(args) > 5 else []
            call_kwargs = dict(args[6]) if len(args) > 6 and args[6] else {}
        else:
            call_args, call_kwargs = list(args[5:]), {}
        self.calls.append((str(model), str(name)))
        if self._pending:
            raise self._pending.popleft()
        return calls.execute_kw(self.env, str(model), str(name), call_args, call_kwargs)

    def dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        with self._lock:
            if service == "common":
                return self._common(method, args)
            if service == "object":
                return self._object(method, args)
            if service == "db" and method == "list":
                return [self.database]
            raise PyAttributeError(f"The service '{service}' does not exist")

    # -- ASGI -----------------------------------------------------------------------------------------------
    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope.get("path", "")
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if scope.get("method") != "POST":
            await _respond(send, 405, b"Method Not Allowed", "text/plain")
        elif path == "/jsonrpc":
            await _respond(send, 200, self._jsonrpc(body), "application/json; charset=utf-8")
        elif path.startswith(("/xmlrpc/2/", "/xmlrpc/")):
            service = path.rstrip("/").rsplit("/", 1)[-1]
            await _respond(send, 200, self._xmlrpc(service, body), "text/xml; charset=utf-8")
        elif path.startswith("/json/2/"):
            status, payload = self._json2(path.removeprefix("/json/2/"), headers, body)
            await _respond(send, status, payload, "application/json; charset=utf-8")
        else:
            await _respond(send, 404, b"<h1>Not Found</h1>", "text/html")

    def _jsonrpc(self, body: bytes) -> bytes:
        request_id: Any = None
        try:
            payload = orjson.loads(body)
            request_id = payload.get("id")
            params = payload.get("params") or {}
            result = self.dispatch(
                str(params.get("service", "")), str(params.get("method", "")), list(params.get("args") or [])
            )
        except OdooError as error:
            return protocol.jsonrpc_error(request_id, error)
        except (orjson.JSONDecodeError, AttributeError) as exc:
            return protocol.jsonrpc_error(request_id, PyValueError(f"Invalid JSON-RPC request: {exc}"))
        return protocol.jsonrpc_result(request_id, result)

    def _xmlrpc(self, service: str, body: bytes) -> bytes:
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
            result = self.dispatch(service, str(method), list(params))
        except OdooError as error:
            return protocol.xmlrpc_fault(error)
        except Exception as exc:  # malformed XML: Odoo answers with a fault 1 traceback too
            return protocol.xmlrpc_fault(PyValueError(f"{type(exc).__name__}: {exc}"))
        return protocol.xmlrpc_result(result)

    def _json2(self, route: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        try:
            model, _, method = route.partition("/")
            auth = headers.get("authorization", "")
            if not auth.lower().startswith("bearer ") or auth[7:].strip() != self.api_key:
                raise AccessDenied("Invalid apikey")
            payload = orjson.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise PyTypeError("JSON-2 takes named arguments only")
            ids = payload.pop("ids", None)
            args = [ids] if ids is not None else []
            with self._lock:
                self.calls.append((model, method))
                if self._pending:
                    raise self._pending.popleft()
                result = calls.execute_kw(self.env, model, method, args, payload)
        except OdooError as error:
            return protocol.json2_error(error)
        except orjson.JSONDecodeError as exc:
            return protocol.json2_error(PyValueError(str(exc)))
        return 200, orjson.dumps(result)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
