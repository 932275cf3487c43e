"""The ASGI app: ``/wp-json/wc/v3`` routing, authentication, argument checks, error bodies, headers.

Handlers (``handlers.py``) are plain functions run under the store lock in a worker thread; they return
``(status, body, extra headers)`` or raise ``WcError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from syncbridge.sim.woocommerce.auth import Authenticator, Principal
from syncbridge.sim.woocommerce.errors import WcError, no_route
from syncbridge.sim.woocommerce.store import ListQuery

PREFIX = "/wp-json/wc/v3"
Result = tuple[int, Any, dict[str, str]]


@dataclass
class Ctx:
    """One request as handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: list[tuple[str, str]]
    body: Any
    site: str
    principal: Principal | None = None
    form: dict[str, str] = field(default_factory=dict)
    listq: ListQuery = field(default_factory=ListQuery)

    @property
    def base(self) -> str:
        return f"{self.site}{PREFIX}"

    def arg(self, name: str, default: str | None = None) -> str | None:
        items = self.query.get(name)
        return items[-1] if items else default

    def json(self) -> dict[str, Any]:
        if isinstance(self.body, dict):
            return self.body
        if self.body is None:
            return {}
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")


Handler = Callable[[Ctx, list[int]], Result]
# action: list / view / create / edit / delete / batch -- decides the permission error an anonymous caller gets
Route = tuple[str, re.Pattern[str], str, Handler]

DENIED = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}
WRITES = {"create", "edit", "delete", "batch"}


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json; charset=UTF-8"
    )


class WooApp:
    def __init__(
        self,
        routes: list[Route],
        authenticator: Authenticator,
        lock: Any,
        *,
        https: Callable[[Scope, dict[str, str]], bool],
        validate: Callable[[Ctx, str, str], None],
    ) -> None:
        self.routes = routes
        self.auth = authenticator
        self.lock = lock
        self.https = https
        self.validate = validate

    def _match(self, method: str, path: str) -> tuple[Route | None, list[int], bool]:
        path_known = False
        for verb, pattern, action, handler in self.routes:
            m = pattern.fullmatch(path)
            if m is None:
                continue
            path_known = True
            if verb == method or (verb == "PUT" and method in {"PATCH", "POST"} and action in {"edit", "batch"}):
                return (verb, pattern, action, handler), [int(g) for g in m.groups()], True
        return None, [], path_known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        raw = await request.body()
        response = await anyio.to_thread.run_sync(self._handle, request, raw)
        await response(scope, receive, send)

    def _handle(self, request: Request, raw: bytes) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        https = self.https(request.scope, headers)
        scheme = "https" if https else "http"
        site = f"{scheme}://{headers.get('host', 'localhost')}"
        discovery = {"link": f'<{site}/wp-json/>; rel="https://api.w.org/"'}
        raw_query = list(request.query_params.multi_items())
        query: dict[str, list[str]] = {}
        for k, v in raw_query:
            query.setdefault(k, []).append(v)
        body: Any = None
        form: dict[str, str] = {}
        if raw:
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                from urllib.parse import parse_qsl

                form = dict(parse_qsl(raw.decode()))
                body = form
            else:
                try:
                    body = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return _json(400, WcError(400, "rest_invalid_json", "Invalid JSON body passed.").body(), discovery)
        path = request.url.path
        method = request.method.upper()
        try:
            if not path.startswith(PREFIX):
                raise no_route()
            sub = path[len(PREFIX) :] or "/"
            url = f"{site}{path}"
            principal = self.auth.authenticate(method=method, https=https, url=url, query=raw_query, headers=headers)
            route, ids, _known = self._match(method, sub)
            if route is None:
                raise no_route()
            _verb, _pattern, action, handler = route
            ctx = Ctx(method, sub, query, raw_query, body, site, principal, form)
            self.validate(ctx, action, sub)
            if principal is None:
                code, message = DENIED[action]
                raise WcError(401, code, message)
            if not principal.key.capable:
                code, message = DENIED[action]
                raise WcError(403, code, message)
            if action in WRITES and principal.key.permissions == "read":
                raise WcError(
                    401,
                    "woocommerce_rest_authentication_error",
                    "The API key provided does not have write permissions.",
                )
            if action not in WRITES and principal.key.permissions == "write":
                raise WcError(
                    401,
                    "woocommerce_rest_authentication_error",
                    "The API key provided does not have read permissions.",
                )
            with self.lock:
                status, out, extra = handler(ctx, ids)
            return _json(status, out, {**discovery, **extra})
        except WcError as exc:
            return _json(exc.status, exc.body(), discovery)
