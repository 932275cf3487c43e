"""``Annotated`` dependencies: the services, and the authenticated (and rate-limited) organization."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from syncbridge.api.auth import Principal, authenticate, check_org_header, pick_credential
from syncbridge.api.ports import ApiServices
from syncbridge.errors import RateLimitedError
from syncbridge.ratelimit import TokenBucket

API_PREFIX = "/api/v1/integrations"

_bearer = HTTPBearer(auto_error=False, description="A JWT (HS256/RS256) or an API key (sbk_...)")
_api_key = APIKeyHeader(name="X-Api-Key", auto_error=False, description="An API key (sbk_...)")


def get_services(request: Request) -> ApiServices:
    return cast(ApiServices, request.app.state.services)


ServicesDep = Annotated[ApiServices, Depends(get_services)]


def org_limiter(request: Request) -> TokenBucket:
    return cast(TokenBucket, request.app.state.org_limiter)


def enforce_rate(bucket: TokenBucket, key: str, what: str) -> None:
    wait = bucket.try_acquire(key)
    if wait > 0:
        raise RateLimitedError(f"rate limit exceeded for this {what}; retry later", retry_after=wait)


async def current_principal(
    request: Request,
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
    x_org_id: Annotated[str | None, Header(alias="X-Org-Id", description="Must equal the caller's org")] = None,
) -> Principal:
    credential = pick_credential(bearer.credentials if bearer else None, api_key)
    principal = await run_in_threadpool(authenticate, services.engine, services.settings, credential)
    check_org_header(principal, x_org_id)
    await run_in_threadpool(enforce_rate, org_limiter(request), f"org:{principal.org_id}", "organization")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
