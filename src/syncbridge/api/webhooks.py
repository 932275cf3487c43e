"""``POST /webhooks/woocommerce/{connection_id}``: no API key (WooCommerce cannot send one); the signature
over the raw body, checked with the connection's webhook secret, is the authentication."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from syncbridge.api.deps import API_PREFIX, enforce_rate
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, ok
from syncbridge.errors import ValidationError
from syncbridge.ratelimit import TokenBucket
from syncbridge.services.webhooks import WebhookService

router = APIRouter(prefix=API_PREFIX, tags=["webhooks"])

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"webhook_id": {"type": "string"}}}
            },
        },
    }
}
_MAX_BODY = 5 * 1024 * 1024


@router.post(
    "/webhooks/woocommerce/{connection_id}",
    response_model=SuccessEnvelope,
    responses=ERROR_RESPONSES,
    openapi_extra=_BODY,
    summary="A WooCommerce webhook delivery (or its creation ping)",
)
async def woocommerce_webhook(request: Request, connection_id: str) -> JSONResponse:
    service = cast(WebhookService, request.app.state.webhooks)
    limiter = cast(TokenBucket, request.app.state.webhook_limiter)
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise ValidationError("webhook body is too large")
    await run_in_threadpool(service.org_for_connection, connection_id)
    await run_in_threadpool(enforce_rate, limiter, f"webhook:{connection_id}", "webhook connection")
    headers = dict(request.headers.items())
    result = await run_in_threadpool(service.handle_woocommerce, connection_id, headers, body)
    return ok(request, result)
