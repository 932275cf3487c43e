"""The organization's connections, with secrets masked (never returned in clear)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from syncbridge.api.deps import API_PREFIX, PrincipalDep, ServicesDep
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, ok
from syncbridge.config import Settings
from syncbridge.errors import ConfigError
from syncbridge.store.connections import list_connections
from syncbridge.store.crypto import CredentialCipher, cipher_from_settings
from syncbridge.store.session import transaction

router = APIRouter(prefix=API_PREFIX, tags=["connections"])


def _cipher(settings: Settings) -> CredentialCipher | None:
    """The cipher, to say which secrets are set (masked); never create a key file from a read."""
    if not settings.secret_key and not settings.secret_key_file.is_file():
        return None
    try:
        return cipher_from_settings(settings)
    except ConfigError:
        return None


@router.get("/connections", response_model=SuccessEnvelope, responses=ERROR_RESPONSES, summary="Connections (masked)")
def get_connections(request: Request, principal: PrincipalDep, services: ServicesDep) -> JSONResponse:
    cipher = _cipher(services.settings)
    with transaction(services.engine) as conn:
        try:
            rows = list_connections(conn, principal.org_id, cipher=cipher)
        except ConfigError:  # a key that cannot decrypt: still list them, without the masks
            rows = list_connections(conn, principal.org_id)
    return ok(request, [r.to_dict() for r in rows])
