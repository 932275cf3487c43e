"""The FastAPI app: routes under ``/api/v1/integrations``, health at the root, the web UI at ``/ui``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis as redis_lib
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from syncbridge import __version__
from syncbridge.api import activity, conflicts, connections, health, orchestrate, preview, webhooks
from syncbridge.api.envelope import RequestContextMiddleware
from syncbridge.api.errors import install_error_handlers
from syncbridge.api.metrics import ApiMetrics, MetricsMiddleware
from syncbridge.api.ports import ApiServices
from syncbridge.config import Settings, get_settings
from syncbridge.ratelimit import MemoryTokenBucket, RedisTokenBucket, TokenBucket
from syncbridge.services.webhooks import WebhookService
from syncbridge.store.crypto import cipher_from_settings

UI_PREFIX = "/ui"
# WooCommerce bursts deliveries (a bulk edit); the per-connection limit only stops a flood.
WEBHOOK_RATE_PER_S = 50.0
WEBHOOK_BURST = 500

log = logging.getLogger("syncbridge.api")


def make_bucket(redis: redis_lib.Redis | None, rate_per_s: float, burst: int, key_prefix: str) -> TokenBucket:
    """In Redis when there is one (the limit then holds across API processes), else in this process."""
    if redis is not None:
        return RedisTokenBucket(redis, rate_per_s, burst, key_prefix=key_prefix)
    return MemoryTokenBucket(rate_per_s, burst)


def _mount_web(app: FastAPI) -> None:
    try:
        from syncbridge.web import routes as web_routes
    except ImportError:
        log.info("web UI not installed: /ui is not served")
        return
    router = web_routes.router
    app.include_router(router, prefix="" if router.prefix else UI_PREFIX, include_in_schema=False)
    static_dir = Path(web_routes.__file__).resolve().parent / "static"
    if static_dir.is_dir():
        app.mount(f"{UI_PREFIX}/static", StaticFiles(directory=static_dir), name="static")


def _openapi_without_422(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI documents 422 for every route with inputs; this API answers invalid input with 400."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def create_app(services: ApiServices | None = None, *, settings: Settings | None = None) -> FastAPI:
    if services is None:
        from syncbridge.services.container import build_services

        services = build_services(settings or get_settings())
    app = FastAPI(
        title="syncbridge",
        version=__version__,
        description="Keeps WooCommerce, Odoo and your own database in sync.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.services = services
    limit = services.settings.api_rate_limit_per_minute
    app.state.org_limiter = make_bucket(services.redis, limit / 60.0, limit, "syncbridge:rl:api")
    app.state.webhook_limiter = make_bucket(services.redis, WEBHOOK_RATE_PER_S, WEBHOOK_BURST, "syncbridge:rl:hook")
    app.state.webhooks = WebhookService(
        services.engine,
        cipher=cipher_from_settings(services.settings),
        preview=services.preview,
        orchestration=services.orchestration,
    )
    metrics = ApiMetrics(services.engine)
    app.state.metrics = metrics
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (orchestrate, preview, conflicts, activity, connections, webhooks):
        app.include_router(module.router)
    _mount_web(app)
    app.openapi = _openapi_without_422(app)  # type: ignore[method-assign]
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestContextMiddleware)
    return app
