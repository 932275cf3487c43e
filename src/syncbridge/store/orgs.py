"""Organizations and their API keys.

An API key is ``sbk_<prefix>_<secret>``. It is shown once, at creation; the table keeps only its sha256 hex
(``key_hash``) and the prefix, which humans use to tell keys apart and to revoke one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncbridge.errors import ValidationError
from syncbridge.store._util import as_utc, opt_utc
from syncbridge.store.tables import api_key, new_id, now_utc, organization

KEY_SCHEME = "sbk"


@dataclass(frozen=True, slots=True)
class OrgRow:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    id: str
    org_id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _org(row: sa.Row[*tuple[Any, ...]]) -> OrgRow:
    return OrgRow(id=row.id, name=row.name, created_at=as_utc(row.created_at))


def create_org(conn: sa.Connection, name: str) -> OrgRow:
    name = name.strip()
    if not name:
        raise ValidationError("an organization needs a name")
    row = OrgRow(id=new_id(), name=name, created_at=now_utc())
    conn.execute(organization.insert().values(id=row.id, name=row.name, created_at=row.created_at))
    return row


def get_org(conn: sa.Connection, org_id: str) -> OrgRow | None:
    row = conn.execute(
        sa.select(organization.c.id, organization.c.name, organization.c.created_at).where(
            organization.c.id == org_id
        )
    ).first()
    return None if row is None else _org(row)


def find_org(conn: sa.Connection, id_or_name: str) -> OrgRow | None:
    """The organization with this id, else with this name (for the CLI's ``--org``)."""
    return get_org(conn, id_or_name) or _org_by_name(conn, id_or_name)


def _org_by_name(conn: sa.Connection, name: str) -> OrgRow | None:
    row = conn.execute(
        sa.select(organization.c.id, organization.c.name, organization.c.created_at).where(
            organization.c.name == name.strip()
        )
    ).first()
    return None if row is None else _org(row)


def list_orgs(conn: sa.Connection) -> list[OrgRow]:
    """Every organization: an operator's view (CLI), never exposed to one organization's API callers."""
    rows = conn.execute(
        sa.select(organization.c.id, organization.c.name, organization.c.created_at).order_by(
            organization.c.name
        )
    )
    return [_org(r) for r in rows]


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(conn: sa.Connection, org_id: str, *, name: str = "") -> tuple[ApiKeyRow, str]:
    """A new key for the organization: its row and the clear key, which is never available again."""
    prefix = secrets.token_hex(4)
    clear = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(
        id=new_id(), org_id=org_id, name=name, prefix=prefix, created_at=now_utc(), revoked_at=None
    )
    conn.execute(
        api_key.insert().values(
            id=row.id,
            org_id=org_id,
            name=name,
            prefix=prefix,
            key_hash=hash_api_key(clear),
            created_at=row.created_at,
        )
    )
    return row, clear


def verify_api_key(conn: sa.Connection, key: str) -> str | None:
    """The organization id the key belongs to, or ``None`` for an unknown, malformed or revoked key."""
    if not key.startswith(f"{KEY_SCHEME}_") or len(key) > 200:
        return None
    digest = hash_api_key(key)
    row = conn.execute(
        sa.select(api_key.c.org_id, api_key.c.key_hash).where(
            api_key.c.key_hash == digest, api_key.c.revoked_at.is_(None)
        )
    ).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    org_id: str = row.org_id
    return org_id


def _key_row(row: sa.Row[*tuple[Any, ...]]) -> ApiKeyRow:
    return ApiKeyRow(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        prefix=row.prefix,
        created_at=as_utc(row.created_at),
        revoked_at=opt_utc(row.revoked_at),
    )


_KEY_COLUMNS = (
    api_key.c.id,
    api_key.c.org_id,
    api_key.c.name,
    api_key.c.prefix,
    api_key.c.created_at,
    api_key.c.revoked_at,
)


def list_api_keys(conn: sa.Connection, org_id: str, *, include_revoked: bool = True) -> list[ApiKeyRow]:
    query = sa.select(*_KEY_COLUMNS).where(api_key.c.org_id == org_id)
    if not include_revoked:
        query = query.where(api_key.c.revoked_at.is_(None))
    return [_key_row(r) for r in conn.execute(query.order_by(api_key.c.created_at, api_key.c.id))]


def revoke_api_key(conn: sa.Connection, org_id: str, key_id_or_prefix: str) -> bool:
    """Revoke the organization's key with this id or prefix; ``False`` when there is no such active key."""
    ident = key_id_or_prefix.strip()
    result = conn.execute(
        api_key.update()
        .where(
            api_key.c.org_id == org_id,
            api_key.c.revoked_at.is_(None),
            sa.or_(api_key.c.id == ident, api_key.c.prefix == ident),
        )
        .values(revoked_at=now_utc())
    )
    return result.rowcount > 0
