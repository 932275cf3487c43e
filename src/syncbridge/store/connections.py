"""Connections of an organization to WooCommerce and Odoo; their secrets are encrypted at rest.

Public reads return ``ConnectionPublic``, whose secrets are masked (``ck_…1234``: at most the last four
characters, and none of a short value). The clear secrets leave the store through one function only,
``open_credentials``, which is internal: the engine calls it to build a connector; the API, the CLI and the
web UI never do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.records import EXTERNAL_SYSTEMS, System
from syncbridge.errors import NotFoundError, ValidationError
from syncbridge.store._util import as_utc
from syncbridge.store.crypto import CredentialCipher
from syncbridge.store.tables import connection, new_id, now_utc, sync_cursor, sync_link

# The secrets each system needs; any other secret (e.g. ``webhook_secret``) is optional.
REQUIRED_SECRETS: dict[System, tuple[str, ...]] = {
    System.WOOCOMMERCE: ("consumer_key", "consumer_secret"),
    System.ODOO: ("api_key",),
}
_KNOWN_PREFIXES = ("ck_", "cs_", "sbk_")
_MIN_LEN_FOR_TAIL = 12


def mask_secret(value: str) -> str:
    """``ck_…1234``: a known token prefix and at most the last four characters; short values show nothing."""
    prefix = next((p for p in _KNOWN_PREFIXES if value.startswith(p)), "")
    tail = value[-4:] if len(value) >= _MIN_LEN_FOR_TAIL else ""
    return f"{prefix}…{tail}"


@dataclass(frozen=True, slots=True)
class ConnectionPublic:
    """What anyone may see of a connection: never a secret in clear."""

    id: str
    org_id: str
    system: str
    name: str
    base_url: str
    database: str | None
    login: str | None
    protocol: str | None
    created_at: datetime
    options: Mapping[str, Any] = field(default_factory=dict)
    masked_secrets: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org_id": self.org_id,
            "system": self.system,
            "name": self.name,
            "base_url": self.base_url,
            "database": self.database,
            "login": self.login,
            "protocol": self.protocol,
            "options": dict(self.options),
            "secrets": dict(self.masked_secrets),
            "created_at": self.created_at.isoformat(),
        }


def _validate(
    system: str, name: str, base_url: str, secrets: Mapping[str, str], database: str | None, login: str | None
) -> System:
    try:
        sys_ = System(system)
    except ValueError:
        sys_ = System.HUB
    if sys_ not in EXTERNAL_SYSTEMS:
        raise ValidationError(f"system must be one of {', '.join(EXTERNAL_SYSTEMS)}, not {system!r}")
    if not name.strip():
        raise ValidationError("a connection needs a name")
    if not base_url.startswith(("http://", "https://")):
        raise ValidationError("url must start with http:// or https://")
    missing = [k for k in REQUIRED_SECRETS[sys_] if not secrets.get(k)]
    if sys_ is System.ODOO and not database:
        missing.append("database")
    if sys_ is System.ODOO and not login:
        missing.append("login")
    if missing:
        raise ValidationError(f"{sys_} connection is missing: {', '.join(missing)}")
    return sys_


def add_connection(
    conn: sa.Connection,
    org_id: str,
    *,
    system: str,
    name: str,
    base_url: str,
    secrets: Mapping[str, str],
    cipher: CredentialCipher,
    database: str | None = None,
    login: str | None = None,
    protocol: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> ConnectionPublic:
    """Store a connection; ``secrets`` are encrypted with ``cipher``. A duplicate (system, name) raises."""
    sys_ = _validate(system, name, base_url, secrets, database, login)
    clean_secrets = {k: v for k, v in secrets.items() if v}
    values = {
        "id": new_id(),
        "org_id": org_id,
        "system": sys_.value,
        "name": name.strip(),
        "base_url": base_url.rstrip("/"),
        "database": database,
        "login": login,
        "protocol": protocol,
        "options": dict(options or {}),
        "credentials_encrypted": cipher.encrypt(clean_secrets),
        "created_at": now_utc(),
    }
    conn.execute(connection.insert().values(**values))
    return _public(values, {k: mask_secret(v) for k, v in clean_secrets.items()})


# Masked forms are stored nowhere: computing them needs the key, so public reads decrypt only to mask.
def _public(row: Mapping[Any, Any], masked: Mapping[str, str]) -> ConnectionPublic:
    return ConnectionPublic(
        id=row["id"],
        org_id=row["org_id"],
        system=row["system"],
        name=row["name"],
        base_url=row["base_url"],
        database=row["database"],
        login=row["login"],
        protocol=row["protocol"],
        created_at=as_utc(row["created_at"]),
        options=dict(row["options"] or {}),
        masked_secrets=dict(masked),
    )


def _row_public(row: sa.Row[*tuple[Any, ...]], cipher: CredentialCipher | None) -> ConnectionPublic:
    mapping = row._mapping
    masked: dict[str, str] = {}
    if cipher is not None:
        masked = {k: mask_secret(v) for k, v in cipher.decrypt(mapping["credentials_encrypted"]).items()}
    return _public(mapping, masked)


def list_connections(
    conn: sa.Connection, org_id: str, *, system: str | None = None, cipher: CredentialCipher | None = None
) -> list[ConnectionPublic]:
    """The organization's connections; with ``cipher``, ``masked_secrets`` says which secrets are set."""
    query = sa.select(connection).where(connection.c.org_id == org_id)
    if system is not None:
        query = query.where(connection.c.system == system)
    rows = conn.execute(query.order_by(connection.c.system, connection.c.name))
    return [_row_public(r, cipher) for r in rows]


def get_connection(
    conn: sa.Connection, org_id: str, connection_id: str, *, cipher: CredentialCipher | None = None
) -> ConnectionPublic | None:
    row = conn.execute(
        sa.select(connection).where(connection.c.org_id == org_id, connection.c.id == connection_id)
    ).first()
    return None if row is None else _row_public(row, cipher)


def find_connection(
    conn: sa.Connection,
    org_id: str,
    id_or_name: str,
    *,
    system: str | None = None,
    cipher: CredentialCipher | None = None,
) -> ConnectionPublic | None:
    """By id, else by name (optionally within one system); a name shared by two systems needs ``system``."""
    query = sa.select(connection).where(
        connection.c.org_id == org_id,
        sa.or_(connection.c.id == id_or_name, connection.c.name == id_or_name),
    )
    if system is not None:
        query = query.where(connection.c.system == system)
    rows = conn.execute(query).all()
    if len(rows) > 1:
        raise ValidationError(f"{id_or_name!r} names more than one connection: say which system")
    return _row_public(rows[0], cipher) if rows else None


def delete_connection(conn: sa.Connection, org_id: str, connection_id: str) -> bool:
    """Delete a connection. When it was the organization's last one of its system, that system's links and
    cursors go too: a new connection (maybe to another shop) must not inherit ids that mean nothing there."""
    system = conn.execute(
        sa.select(connection.c.system).where(connection.c.org_id == org_id, connection.c.id == connection_id)
    ).scalar_one_or_none()
    result = conn.execute(
        connection.delete().where(connection.c.org_id == org_id, connection.c.id == connection_id)
    )
    if system is not None:
        left = conn.execute(
            sa.select(sa.func.count()).where(connection.c.org_id == org_id, connection.c.system == system)
        ).scalar_one()
        if left == 0:
            conn.execute(sync_link.delete().where(sync_link.c.org_id == org_id, sync_link.c.system == system))
            conn.execute(
                sync_cursor.delete().where(sync_cursor.c.org_id == org_id, sync_cursor.c.system == system)
            )
    return result.rowcount > 0


def open_credentials(
    conn: sa.Connection, org_id: str, connection_id: str, *, cipher: CredentialCipher
) -> dict[str, str]:
    """INTERNAL: the clear secrets of a connection, for the engine to build a connector.

    Never render, log or return the result through the API, the CLI or the web UI.
    """
    token = conn.execute(
        sa.select(connection.c.credentials_encrypted).where(
            connection.c.org_id == org_id, connection.c.id == connection_id
        )
    ).scalar_one_or_none()
    if token is None:
        raise NotFoundError(f"no connection {connection_id}")
    return cipher.decrypt(token)
