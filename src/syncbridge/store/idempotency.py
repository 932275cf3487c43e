"""sync_idempotency_log: one row per effect, claimed atomically before the external write.

``claimed``  the effect is being applied (or its worker died between the write and the commit: recover by
             looking the record up by natural key, which every connector does before a create);
``applied``  done; never apply it again;
``failed``   the last attempt failed (a conflict says why); a later retry may claim it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from syncbridge.store.tables import now_utc, sync_idempotency_log

K = sync_idempotency_log.c


@dataclass(frozen=True, slots=True)
class EffectClaim:
    key: str
    system: str
    entity: str
    hub_id: str | None
    operation: str
    target_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class EffectState:
    key: str
    status: str
    external_id: str | None


def claim_effects(
    conn: sa.Connection, org_id: str, run_id: str | None, claims: Sequence[EffectClaim]
) -> dict[str, EffectState]:
    """Insert a ``claimed`` row per new key (``INSERT ... ON CONFLICT DO NOTHING``); failed keys are re-claimed.

    Returns the state of every key after the claim: ``applied`` ones must not be applied again.
    """
    if not claims:
        return {}
    now = now_utc()
    rows = [
        {
            "key": c.key,
            "org_id": org_id,
            "run_id": run_id,
            "system": c.system,
            "entity": c.entity,
            "hub_id": c.hub_id,
            "operation": c.operation,
            "target_fingerprint": c.target_fingerprint,
            "status": "claimed",
            "created_at": now,
            "updated_at": now,
        }
        for c in claims
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # One compiled statement, executed for many rows (a multi-VALUES statement is compiled anew every time).
    conn.execute(dialect.insert(sync_idempotency_log).on_conflict_do_nothing(index_elements=["key"]), rows)
    keys = [c.key for c in claims]
    conn.execute(
        sa.update(sync_idempotency_log)
        .where(K.org_id == org_id, K.key.in_(keys), K.status == "failed")
        .values(status="claimed", run_id=run_id, updated_at=now)
    )
    return effect_states(conn, org_id, keys)


def effect_states(conn: sa.Connection, org_id: str, keys: Sequence[str]) -> dict[str, EffectState]:
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(K.key, K.status, K.external_id).where(K.org_id == org_id, K.key.in_(list(keys)))
    ).all()
    return {r.key: EffectState(r.key, r.status, r.external_id) for r in rows}


def mark_applied(conn: sa.Connection, org_id: str, key: str, *, external_id: str | None, hub_id: str | None) -> None:
    values: dict[str, object] = {"status": "applied", "external_id": external_id, "updated_at": now_utc()}
    if hub_id is not None:
        values["hub_id"] = hub_id
    conn.execute(sa.update(sync_idempotency_log).where(K.org_id == org_id, K.key == key).values(**values))


def mark_failed(conn: sa.Connection, org_id: str, keys: Sequence[str]) -> None:
    if keys:
        conn.execute(
            sa.update(sync_idempotency_log)
            .where(K.org_id == org_id, K.key.in_(list(keys)), K.status != "applied")
            .values(status="failed", updated_at=now_utc())
        )


def count_by_status(conn: sa.Connection, org_id: str) -> dict[str, int]:
    rows = conn.execute(sa.select(K.status, sa.func.count()).where(K.org_id == org_id).group_by(K.status)).all()
    return {status: int(n) for status, n in rows}


def mark_applied_many(conn: sa.Connection, org_id: str, items: Sequence[tuple[str, str | None, str | None]]) -> None:
    """``mark_applied`` for many (key, external id, hub id) at once (one executemany)."""
    if not items:
        return
    stmt = (
        sa.update(sync_idempotency_log)
        .where(K.org_id == org_id, K.key == sa.bindparam("_key"))
        .values(
            status="applied",
            external_id=sa.bindparam("_ext"),
            hub_id=sa.func.coalesce(sa.bindparam("_hub"), K.hub_id),
            updated_at=now_utc(),
        )
    )
    conn.execute(stmt, [{"_key": k, "_ext": e, "_hub": h} for k, e, h in items])
