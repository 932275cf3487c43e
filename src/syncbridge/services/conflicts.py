"""The conflict review workflow: list, show both versions side by side, resolve, count; and the settings an
organization tunes (strategies per entity and conflict type, field policies).

A resolution that writes goes through ``engine.executor.apply_planned``, the path runs use: idempotent (each
resolution of a conflict has its own idempotency keys, so resolving twice applies once), transactional and
logged. The conflict is closed only once its effect has been applied; when the apply fails, it stays open with
the new error and one more attempt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.connectors.base import OpKind
from syncbridge.domain import conflicts as dc
from syncbridge.domain.codec import from_dict, to_dict
from syncbridge.domain.conflicts import CLOSED_STATUSES, ConflictStatus, ConflictType, Resolution
from syncbridge.domain.fingerprint import diff_fields, fingerprint_of
from syncbridge.domain.plan import PlannedOp, idempotency_key
from syncbridge.domain.records import EntityType, Record, System
from syncbridge.engine.executor import ConnectorFactory, apply_planned
from syncbridge.errors import IllegalTransitionError, NotFoundError, SyncError, ValidationError
from syncbridge.store import activity, hub_records
from syncbridge.store import conflicts as repo
from syncbridge.store.session import transaction
from syncbridge.store.tables import now_utc

E = TypeVar("E", bound=StrEnum)
_IDENTITY = frozenset({"external_id", "hub_id", "modified_at"})
MAX_PAGE_SIZE = 200


def _enum(kind: type[E], value: str | None, what: str) -> E | None:
    if value is None or value == "":
        return None
    try:
        return kind(str(value).strip().lower().replace("-", "_"))
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise ValidationError(f"unknown {what} {value!r}: one of {choices}") from None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _summary(row: repo.ConflictRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "runId": row.run_id,
        "batchId": row.batch_id,
        "entity": row.entity,
        "conflictType": row.conflict_type.value,
        "status": row.status.value,
        "strategy": row.strategy.value,
        "hubId": row.hub_id,
        "naturalKey": row.natural_key,
        "sourceSystem": row.source_system,
        "targetSystem": row.target_system,
        "externalIds": dict(row.external_ids),
        "errorCode": row.error_code,
        "errorMessage": row.error_message,
        "attempts": row.attempts,
        "nextRetryAt": _iso(row.next_retry_at),
        "resolution": row.resolution,
        "resolvedBy": row.resolved_by,
        "resolvedAt": _iso(row.resolved_at),
        "createdAt": _iso(row.created_at),
        "updatedAt": _iso(row.updated_at),
    }


def _record(entity: str, data: Mapping[str, Any] | None) -> Record | None:
    if data is None:
        return None
    try:
        return from_dict(entity, dict(data))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def _side_by_side(row: repo.ConflictRow, hub: Record | None) -> list[dict[str, Any]]:
    """One row per comparable field: the source, target and hub values, and whether source and target differ."""
    source, target = _record(row.entity, row.source_version), _record(row.entity, row.target_version)
    if source is not None and target is not None:
        differing = set(diff_fields(target, source))
    else:
        differing = set(row.diff)
    hub_data = to_dict(hub) if hub is not None else {}
    return [
        {
            "field": name,
            "source": (row.source_version or {}).get(name),
            "target": (row.target_version or {}).get(name),
            "hub": hub_data.get(name),
            "differs": name in differing,
        }
        for name in dc.comparable_field_names(row.entity)
    ]


def allowed_resolutions(row: repo.ConflictRow, hub: Record | None) -> list[str]:
    if row.status in CLOSED_STATUSES:
        return []
    has_op = row.operation is not None
    checks = {
        Resolution.KEEP_HUB: has_op and hub is not None,
        Resolution.TAKE_SOURCE: has_op and row.source_version is not None,
        Resolution.TAKE_TARGET: has_op and row.target_version is not None,
        Resolution.EDIT: has_op and (row.source_version is not None or hub is not None),
        Resolution.LINK: has_op and row.conflict_type is ConflictType.DUPLICATE_KEY,
        Resolution.SKIP: True,
        Resolution.RETRY: has_op,
    }
    return [r.value for r, ok in checks.items() if ok]


# -- what a resolution writes (pure) ---------------------------------------------------------------------------


def _coerce(old: Any, new: Any) -> Any:
    """An edited value in the type the record holds (the CLI sends strings)."""
    if isinstance(old, bool) and isinstance(new, str):
        lowered = new.strip().lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        raise ValidationError(f"not a yes/no value: {new!r}")
    if isinstance(old, str) and not isinstance(new, str):
        return str(new)
    return new


def edited(base: Record, values: Mapping[str, Any]) -> Record:
    """``base`` with ``values`` set; ``billing.city``-style keys reach into an address."""
    data = to_dict(base)
    for key, value in values.items():
        head, _, sub = key.partition(".")
        if head not in data or head in _IDENTITY:
            raise ValidationError(f"{base.ENTITY.value} has no editable field {head!r}")
        if sub:
            inner = data[head]
            if not isinstance(inner, dict) or sub not in inner:
                raise ValidationError(f"{head} has no field {sub!r}")
            data[head] = {**inner, sub: _coerce(inner[sub], value)}
        else:
            data[head] = _coerce(data[head], value)
    try:
        return from_dict(base.ENTITY, data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationError(f"the edited {base.ENTITY.value} record is not valid: {exc}") from None


@dataclasses.dataclass(frozen=True, slots=True)
class _Ctx:
    org_id: str
    conflict_id: str
    resolution: Resolution
    op: PlannedOp


def _write(
    ctx: _Ctx,
    target: System,
    record: Record,
    *,
    target_id: str | None,
    source: System,
    source_id: str | None,
    hub_id: str | None,
) -> PlannedOp:
    kind = OpKind.UPDATE if target_id else OpKind.CREATE
    who = f"conflict:{ctx.conflict_id}:{ctx.resolution.value}:{hub_id or ctx.op.natural_key}"
    return PlannedOp(
        key=idempotency_key(ctx.org_id, target, ctx.op.entity, who, kind, fingerprint_of(record)),
        kind=kind,
        entity=ctx.op.entity,
        source_system=source,
        target_system=target,
        natural_key=ctx.op.natural_key,
        record=record,
        hub_id=hub_id,
        source_id=source_id,
        target_id=target_id,
        source_fingerprint=fingerprint_of(record) if source is not System.HUB else None,
        change=ctx.op.change,
    )


def plan_resolution(
    ctx: _Ctx,
    *,
    source: Record | None,
    target: Record | None,
    hub: Record | None,
    values: Mapping[str, Any] | None,
    link_to: str | None,
) -> list[list[PlannedOp]]:
    """The writes a resolution makes, as steps applied in order (a step runs only when the one before it
    succeeded). ``source`` / ``target`` are the operation's two versions, ``hub`` the hub's current one."""
    op, r = ctx.op, ctx.resolution
    src, tgt = op.source_system, op.target_system
    hub_id = op.hub_id or (hub.hub_id if hub is not None else None)
    source_ref = op.source_id if src is not System.HUB else hub_id
    target_ref = op.target_id if tgt is not System.HUB else (op.target_id or hub_id)
    if r is Resolution.RETRY or (r is Resolution.TAKE_SOURCE and op.kind is OpKind.DELETE):
        return [[op]]
    if r is Resolution.TAKE_SOURCE:
        if source is None:
            raise ValidationError("the conflict has no source version to take")
        return [[_write(ctx, tgt, source, target_id=target_ref, source=src, source_id=op.source_id, hub_id=hub_id)]]
    if r is Resolution.TAKE_TARGET:
        if target is None:
            raise ValidationError("the conflict has no target version to take")
        return [[_write(ctx, src, target, target_id=source_ref, source=tgt, source_id=op.target_id, hub_id=hub_id)]]
    if r is Resolution.KEEP_HUB:
        if hub is None:
            raise ValidationError("the hub has no version of this record to keep")
        system, ref = (src, op.source_id) if tgt is System.HUB else (tgt, op.target_id)
        if system is System.HUB:
            raise ValidationError("the hub's version is already on both sides")
        return [[_write(ctx, system, hub, target_id=ref, source=System.HUB, source_id=hub_id, hub_id=hub_id)]]
    if r is Resolution.EDIT:
        base = source or hub
        if base is None:
            raise ValidationError("the conflict has no version to edit")
        if not values:
            raise ValidationError("an edit needs values")
        record = edited(base, values)
        steps = [[_write(ctx, tgt, record, target_id=target_ref, source=src, source_id=op.source_id, hub_id=hub_id)]]
        if tgt is not System.HUB and hub_id is not None:
            # The hub takes the edit too, or the next run would push the old values again.
            steps.append(
                [_write(ctx, System.HUB, record, target_id=hub_id, source=System.HUB, source_id=None, hub_id=hub_id)]
            )
        return steps
    if r is Resolution.LINK:
        if source is None or not link_to:
            raise ValidationError("linking needs the source version and the id of the existing record")
        link_hub = link_to if tgt is System.HUB else hub_id
        return [[_write(ctx, tgt, source, target_id=link_to, source=src, source_id=op.source_id, hub_id=link_hub)]]
    raise ValidationError(f"{r.value} writes nothing")  # pragma: no cover - skip never gets here


# -- the service -----------------------------------------------------------------------------------------------


class ConflictService:
    def __init__(self, engine: Engine, *, connector_for: ConnectorFactory, max_retries: int = 0) -> None:
        self.engine = engine
        self.connector_for = connector_for
        self.max_retries = max_retries

    # -- reading
    def list(
        self,
        org_id: str,
        *,
        run_id: str | None = None,
        conflict_type: str | None = None,
        entity: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(f"page starts at 1 and pageSize is 1 to {MAX_PAGE_SIZE}")
        kind = _enum(EntityType, entity, "entity")
        filters = repo.ConflictFilter(
            run_id=run_id or None,
            conflict_type=_enum(ConflictType, conflict_type, "conflict type"),
            entity=kind.value if kind is not None else None,
            status=_enum(ConflictStatus, status, "status"),
        )
        with transaction(self.engine) as conn:
            rows, total = repo.list_conflicts(conn, org_id, filters, page=page, page_size=page_size)
        return {"items": [_summary(r) for r in rows], "total": total, "page": page, "pageSize": page_size}

    def _load(self, conn: sa.Connection, org_id: str, conflict_id: str) -> tuple[repo.ConflictRow, Record | None]:
        row = repo.get_conflict(conn, org_id, conflict_id)
        if row is None:
            raise NotFoundError(f"no conflict {conflict_id}")
        hub: Record | None = None
        if row.hub_id:
            hub = hub_records.get_records(conn, org_id, row.entity, [row.hub_id]).get(row.hub_id)
        elif row.natural_key:
            hub = hub_records.find_by_natural_keys(conn, org_id, row.entity, [row.natural_key]).get(row.natural_key)
        return row, hub

    def get(self, org_id: str, conflict_id: str) -> dict[str, Any]:
        with transaction(self.engine) as conn:
            row, hub = self._load(conn, org_id, conflict_id)
        return {
            **_summary(row),
            "sourceVersion": row.source_version,
            "targetVersion": row.target_version,
            "hubVersion": to_dict(hub) if hub is not None else None,
            "diff": dict(row.diff),
            "fields": _side_by_side(row, hub),
            "operation": dict(row.operation) if row.operation is not None else None,
            "actions": allowed_resolutions(row, hub),
        }

    def stats(self, org_id: str) -> dict[str, Any]:
        with transaction(self.engine) as conn:
            s = repo.conflict_stats(conn, org_id)
        oldest = None
        if s.oldest_open_id is not None and s.oldest_open_at is not None:
            age = max(0.0, (now_utc() - s.oldest_open_at).total_seconds())
            oldest = {"id": s.oldest_open_id, "createdAt": s.oldest_open_at.isoformat(), "ageSeconds": age}
        return {
            "total": s.total,
            "byType": dict(s.by_type),
            "byStatus": dict(s.by_status),
            "byEntity": dict(s.by_entity),
            "byRun": dict(s.by_run),
            "meanTimeToResolutionSeconds": s.mean_time_to_resolution_s,
            "oldestOpen": oldest,
        }

    # -- resolving
    def resolve(
        self,
        org_id: str,
        conflict_id: str,
        *,
        resolution: str,
        values: Mapping[str, Any] | None = None,
        link_to: str | None = None,
        resolved_by: str,
    ) -> dict[str, Any]:
        """Apply a resolution. ``{"ok", "applied": [external ids], "error", "conflict": view}``; a failed
        apply leaves the conflict open (``ok`` false, the error in the view)."""
        chosen = _enum(Resolution, resolution, "resolution")
        if chosen is None:
            raise ValidationError("a resolution is required")
        who = resolved_by.strip()
        if not who:
            raise ValidationError("resolved_by is required")
        with transaction(self.engine) as conn:
            row, hub = self._load(conn, org_id, conflict_id)
        if row.status in CLOSED_STATUSES:
            raise IllegalTransitionError(f"conflict {conflict_id} is {row.status.value} already")
        if chosen is Resolution.SKIP:
            self._close(org_id, row, chosen, who, ConflictStatus.SKIPPED)
            return {"ok": True, "applied": [], "error": None, "conflict": self.get(org_id, conflict_id)}
        op = row.planned_op()
        if op is None:
            raise ValidationError("the conflict has no recorded operation to apply")
        ctx = _Ctx(org_id, conflict_id, chosen, op)
        if chosen is Resolution.LINK and not link_to:
            link_to = self._existing_id(org_id, row, op)
        steps = plan_resolution(
            ctx,
            source=_record(row.entity, row.source_version),
            target=_record(row.entity, row.target_version),
            hub=hub,
            values=values,
            link_to=link_to,
        )
        applied: list[str] = []
        for step in steps:
            outcomes = apply_planned(
                self.engine, org_id, step, connector_for=self.connector_for, max_retries=self.max_retries
            )
            failed = next((o.error for o in outcomes if not o.ok), None)
            if failed is not None:
                with transaction(self.engine) as conn:
                    repo.reopen_conflict(conn, org_id, conflict_id, attempts=row.attempts + 1, error=failed)
                error = {"code": failed.code, "message": failed.message}
                return {"ok": False, "applied": applied, "error": error, "conflict": self.get(org_id, conflict_id)}
            applied.extend(o.external_id or "" for o in outcomes)
        self._close(org_id, row, chosen, who, ConflictStatus.RESOLVED)
        return {"ok": True, "applied": applied, "error": None, "conflict": self.get(org_id, conflict_id)}

    def _existing_id(self, org_id: str, row: repo.ConflictRow, op: PlannedOp) -> str | None:
        """The id of the target's record with the same natural key (noted by the engine, else looked up)."""
        noted = row.external_ids.get(f"{op.target_system.value}:existing")
        if noted:
            return noted
        connector = self.connector_for(org_id, op.target_system)
        try:
            found = connector.find_by_natural_key(op.entity, [op.natural_key]).get(op.natural_key)
        except SyncError as exc:
            raise ValidationError(f"could not look the existing record up: {exc.message}") from exc
        finally:
            connector.close()
        return found.external_id if found is not None else None

    def _close(
        self, org_id: str, row: repo.ConflictRow, resolution: Resolution, who: str, status: ConflictStatus
    ) -> None:
        with transaction(self.engine) as conn:
            closed = repo.close_conflict(
                conn, org_id, row.id, status=status, resolution=resolution.value, resolved_by=who
            )
            if not closed:
                raise IllegalTransitionError(f"conflict {row.id} was closed by someone else meanwhile")
            activity.record_activity(
                conn,
                org_id,
                kind="conflict",
                message=f"conflict {row.id} ({row.conflict_type.value}, {row.natural_key or '-'}) "
                f"{status.value}: {resolution.value} by {who}",
                run_id=row.run_id,
                entity=row.entity,
                system=row.target_system,
                counts={status.value: 1},
            )

    # -- settings
    def strategies(self, org_id: str) -> dict[str, Any]:
        with transaction(self.engine) as conn:
            overrides = repo.strategy_overrides(conn, org_id)
        return {
            "defaults": {t.value: s.value for t, s in dc.DEFAULT_STRATEGIES.items()},
            "overrides": [
                {"entity": e, "conflictType": t.value, "strategy": s.value} for (e, t), s in sorted(overrides.items())
            ],
        }

    def set_strategy(self, org_id: str, *, entity: str, conflict_type: str, strategy: str | None) -> dict[str, Any]:
        """Set (or, with ``None``, remove) the strategy for an entity (``"*"``: any) and conflict type."""
        scope = dc.ANY_ENTITY if entity == dc.ANY_ENTITY else _enum(EntityType, entity, "entity")
        kind = _enum(ConflictType, conflict_type, "conflict type")
        if scope is None or kind is None:
            raise ValidationError("an entity (or *) and a conflict type are required")
        with transaction(self.engine) as conn:
            repo.set_strategy(
                conn,
                org_id,
                entity=str(scope),
                conflict_type=kind,
                strategy=_enum(dc.Strategy, strategy, "strategy"),
            )
        return self.strategies(org_id)

    def field_policies(self, org_id: str) -> dict[str, Any]:
        with transaction(self.engine) as conn:
            overrides = repo.field_policies(conn, org_id)
        policies = dc.effective_policies(overrides)
        return {
            "policies": [
                {"entity": e.value, "field": f, "source": s.value, "default": (e, f) not in overrides}
                for (e, f), s in sorted(policies.items())
            ]
        }

    def set_field_policy(self, org_id: str, *, entity: str, field: str, source: str | None) -> dict[str, Any]:
        """Set (or, with ``None``, remove) which side is the source of truth for an entity's field."""
        kind = _enum(EntityType, entity, "entity")
        if kind is None:
            raise ValidationError("an entity is required")
        if field not in dc.comparable_field_names(kind):
            raise ValidationError(f"{kind.value} has no comparable field {field!r}")
        with transaction(self.engine) as conn:
            repo.set_field_policy(
                conn, org_id, entity=kind, field_name=field, source=_enum(dc.PolicySource, source, "source")
            )
        return self.field_policies(org_id)
