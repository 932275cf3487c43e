"""The sync preview: what a sync of one entity between a system and the hub would create, update, delete.

``inbound`` reads the system (system -> hub), ``outbound`` reads the hub (hub -> system). The delta is computed
by ``domain.delta.diff_sides`` over streams (links, hub fingerprints, the system's pages), so memory grows with
the number of ids. The result is cached in ``sync_preview_cache`` (and in Redis when given, shared by every
process) as the list of changes (ids and fingerprints) plus the rendered records of the first
``RENDER_AHEAD`` changes of each kind; other pages are rendered on demand. Every preview, served from the cache,
computed or failed, is written to ``sync_activity_log``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import orjson
import redis as redis_lib
from sqlalchemy.engine import Engine

from syncbridge import errors
from syncbridge.connectors.base import Connector, Page
from syncbridge.domain.delta import LinkItem, SideItem, diff_sides
from syncbridge.domain.plan import Selective
from syncbridge.domain.records import EXTERNAL_SYSTEMS, EntityType, Record, System
from syncbridge.engine.planner import side_items
from syncbridge.errors import SyncError, ValidationError
from syncbridge.services.preview_payload import (
    KIND_KEYS,
    Rows,
    answer,
    build_payload,
    change_row,
    empty_rows,
    ids_to_render,
    page_rows,
    render_rows,
    unrendered,
)
from syncbridge.store import hub_records, links, preview_cache
from syncbridge.store import selective as selective_repo
from syncbridge.store.activity import record_activity
from syncbridge.store.session import transaction
from syncbridge.store.tables import now_utc

log = logging.getLogger("syncbridge.preview")

Direction = Literal["inbound", "outbound"]
DIRECTIONS: tuple[Direction, ...] = ("inbound", "outbound")
RENDER_AHEAD = 100  # records rendered into the cache per kind: the first pages cost no call to the system
MAX_PAGE_SIZE = 500
REDIS_PAUSE_S = 30.0  # after a Redis failure, the database alone answers for this long


def redis_key(org_id: str, system: str, entity: str, direction: str) -> str:
    return f"syncbridge:preview:{org_id}:{system}:{entity}:{direction}"


def _failed(exc: SyncError, what: str) -> SyncError:
    """The same kind of error (the nearest ``syncbridge.errors`` class), saying which preview failed."""
    cls = next(c for c in type(exc).__mro__ if c.__module__ == errors.__name__)
    return cast(
        SyncError,
        cls(
            f"{what} failed: {exc.message}", code=exc.code, retry_after=exc.retry_after, details=exc.details
        ),
    )


class _SourceTap:
    """Passes a system's pages through as side items, remembering the records of the current page."""

    def __init__(self) -> None:
        self.current: dict[str, Record] = {}

    def items(self, pages: Iterable[Page]) -> Iterator[SideItem]:
        for page in pages:
            self.current = {str(r.external_id): r for r in page.records}
            yield from side_items(page.records)


class PreviewService:
    def __init__(
        self,
        engine: Engine,
        *,
        connector_for: Callable[[str, System], Connector],
        ttl_s: int = 3600,
        redis: redis_lib.Redis | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self._engine = engine
        self._connector_for = connector_for
        self._ttl = timedelta(seconds=ttl_s)
        self._redis = redis
        self._clock = clock
        self._redis_resume_at = 0.0

    # -- the preview ------------------------------------------------------------------------------------------

    def preview(
        self,
        org_id: str,
        system: System | str,
        entity: EntityType | str,
        *,
        direction: str = "inbound",
        refresh: bool = False,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        """The delta of ``entity`` between ``system`` and the hub, one page of records per kind.

        Served from the cache when fresh (``cacheHit``), else computed and cached; ``refresh`` recomputes.
        A failure (a system that times out raises ``TransientError``) leaves the cache as it was.
        """
        system, entity, way = _checked(system, entity, direction, page, page_size)
        what = f"preview of {entity.value} ({way}) {'from' if way == 'inbound' else 'to'} {system.value}"
        started = time.perf_counter()
        try:
            payload = None if refresh else self._cached(org_id, system, entity, way)
            hit = payload is not None
            if payload is None:
                payload = self._compute(org_id, system, entity, way)
            response = self._respond(org_id, payload, hit=hit, page=page, page_size=page_size)
            if not hit:
                self._store(org_id, system, entity, way, payload)
        except SyncError as exc:
            self._log(org_id, system, entity, f"{what} failed: {exc.code}: {exc.message}", {}, started)
            raise _failed(exc, what) from exc
        counts = {key: response["delta"][key]["count"] for key in KIND_KEYS.values()}
        self._log(org_id, system, entity, f"{what}: {'cache hit' if hit else 'computed'}", counts, started)
        return response

    def invalidate(self, org_id: str, entity: EntityType | str, system: System | str | None = None) -> int:
        """Forget the cached previews of the entity (of one system, or all); the number of database entries."""
        entity = EntityType(entity)
        systems = EXTERNAL_SYSTEMS if system is None else (System(system),)
        with transaction(self._engine) as conn:
            deleted = preview_cache.invalidate(
                conn, org_id, entity.value, None if system is None else System(system).value
            )
        keys = [redis_key(org_id, s.value, entity.value, d) for s in systems for d in DIRECTIONS]
        self._redis_call(lambda r: r.delete(*keys))
        return deleted

    # -- selective settings -----------------------------------------------------------------------------------

    def get_selective(self, org_id: str, entity: EntityType | str) -> Selective:
        with transaction(self._engine) as conn:
            return selective_repo.get_selective(conn, org_id, entity)

    def set_selective(
        self,
        org_id: str,
        entity: EntityType | str,
        *,
        include_new: bool,
        include_updated: bool,
        include_deleted: bool,
    ) -> Selective:
        selective = Selective(include_new, include_updated, include_deleted)
        with transaction(self._engine) as conn:
            selective_repo.set_selective(conn, org_id, entity, selective)
        return selective

    # -- cache ------------------------------------------------------------------------------------------------

    def _cached(self, org_id: str, system: System, entity: EntityType, way: str) -> dict[str, Any] | None:
        now = self._clock()
        key = redis_key(org_id, system.value, entity.value, way)
        raw = self._redis_call(lambda r: r.get(key))
        if isinstance(raw, bytes | str):
            try:
                payload: dict[str, Any] = orjson.loads(raw)
                if now < datetime.fromisoformat(payload["expiresAt"]):
                    return payload
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning("preview cache: unreadable entry %s in redis, ignored", key)
        with transaction(self._engine) as conn:
            entry = preview_cache.get_cached(conn, org_id, system.value, entity.value, way)
        if entry is None or not entry.fresh_at(now):
            return None
        self._put_redis(key, entry.payload, entry.expires_at)
        return entry.payload

    def _store(self, org_id: str, system: System, entity: EntityType, way: str, payload: dict[str, Any]) -> None:
        computed_at = datetime.fromisoformat(payload["computedAt"])
        expires_at = datetime.fromisoformat(payload["expiresAt"])
        with transaction(self._engine) as conn:
            preview_cache.purge_expired(conn, org_id, computed_at)
            preview_cache.put_cached(
                conn,
                org_id,
                system.value,
                entity.value,
                way,
                payload=payload,
                computed_at=computed_at,
                expires_at=expires_at,
            )
        self._put_redis(redis_key(org_id, system.value, entity.value, way), payload, expires_at)

    def _put_redis(self, key: str, payload: dict[str, Any], expires_at: datetime) -> None:
        ttl_ms = math.ceil((expires_at - self._clock()).total_seconds() * 1000)
        if ttl_ms > 0:
            data = orjson.dumps(payload)
            self._redis_call(lambda r: r.set(key, data, px=ttl_ms))

    def _redis_call(self, call: Callable[[redis_lib.Redis], Any]) -> Any:
        """Redis is a shared copy of the database cache: when it fails, the database answers alone."""
        if self._redis is None or time.monotonic() < self._redis_resume_at:
            return None
        try:
            return call(self._redis)
        except redis_lib.RedisError as exc:
            log.warning("preview cache: redis unavailable (%s), using the database alone", type(exc).__name__)
            self._redis_resume_at = time.monotonic() + REDIS_PAUSE_S
            return None

    # -- computing --------------------------------------------------------------------------------------------

    def _compute(self, org_id: str, system: System, entity: EntityType, way: str) -> dict[str, Any]:
        rows = empty_rows()
        known: dict[str, Record] = {}  # system records of the first changes, seen while streaming
        connector = self._connector_for(org_id, system)
        try:
            link_items = self._link_items(org_id, entity, system)
            hub_items = self._hub_items(org_id, entity)
            if way == "inbound":
                tap = _SourceTap()
                pages = connector.iter_changes(entity, since=None)
                changes = diff_sides(tap.items(pages), hub_items, link_items, source_is_hub=False)
            else:
                tap = None
                target = side_items(r for p in connector.iter_changes(entity, since=None) for r in p.records)
                changes = diff_sides(hub_items, target, link_items, source_is_hub=True)
            for change in changes:
                bucket = rows[KIND_KEYS[change.kind]]
                if tap is not None and len(bucket) < RENDER_AHEAD and change.source_id in tap.current:
                    known[change.source_id] = tap.current[change.source_id]
                bucket.append(change_row(change))
            ahead = {key: bucket[:RENDER_AHEAD] for key, bucket in rows.items()}
            records = self._render(org_id, entity, way, ahead, known, connector)
        finally:
            connector.close()
        return build_payload(
            system=system.value,
            entity=entity.value,
            direction=way,
            rows=rows,
            records=records,
            computed_at=self._clock(),
            ttl=self._ttl,
        )

    def _link_items(self, org_id: str, entity: EntityType, system: System) -> Iterator[LinkItem]:
        # Each stream holds its own short transaction: diff_sides reads links, then the target, then the source.
        with transaction(self._engine) as conn:
            for row in links.iter_links(conn, org_id, entity.value, system.value):
                yield LinkItem(row.hub_id, row.external_id, row.last_fingerprint)

    def _hub_items(self, org_id: str, entity: EntityType) -> Iterator[SideItem]:
        with transaction(self._engine) as conn:
            for hub_id, natural_key, fingerprint, deleted in hub_records.iter_fingerprints(conn, org_id, entity):
                yield SideItem(hub_id, natural_key, fingerprint, deleted)

    # -- rendering --------------------------------------------------------------------------------------------

    def _render(
        self,
        org_id: str,
        entity: EntityType,
        way: str,
        rows: Rows,
        known: dict[str, Record],
        connector: Connector | None,
    ) -> dict[str, dict[str, Any]]:
        """The records shown for these rows (fetching from the hub and the system what is not ``known``)."""
        inbound = way == "inbound"
        hub_ids, system_ids = ids_to_render(rows, inbound=inbound)
        system_ids -= known.keys()
        fetched = dict(known)
        if system_ids and connector is not None:
            fetched.update((str(r.external_id), r) for r in connector.fetch(entity, sorted(system_ids)))
        hub: dict[str, Record] = {}
        if hub_ids:
            with transaction(self._engine) as conn:
                hub = hub_records.get_records(conn, org_id, entity, sorted(hub_ids))
        return render_rows(rows, inbound=inbound, hub=hub, system=fetched)

    def _respond(
        self, org_id: str, payload: dict[str, Any], *, hit: bool, page: int, page_size: int
    ) -> dict[str, Any]:
        window = page_rows(payload, page, page_size)
        missing = unrendered(payload, window)
        extra: dict[str, dict[str, Any]] = {key: {} for key in window}
        if any(missing.values()):
            system, entity = System(payload["syncType"]), EntityType(payload["entityType"])
            inbound = payload["direction"] == "inbound"
            _, system_ids = ids_to_render(missing, inbound=inbound)
            connector = self._connector_for(org_id, system) if system_ids else None
            try:
                extra = self._render(org_id, entity, payload["direction"], missing, {}, connector)
            finally:
                if connector is not None:
                    connector.close()
        return answer(payload, window, extra, hit=hit, page=page, page_size=page_size)

    def _log(
        self,
        org_id: str,
        system: System,
        entity: EntityType,
        message: str,
        counts: dict[str, int],
        started: float,
    ) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000)
        with transaction(self._engine) as conn:
            record_activity(
                conn,
                org_id,
                kind="preview",
                message=message,
                entity=entity.value,
                system=system.value,
                counts=counts,
                duration_ms=duration_ms,
            )


def _checked(
    system: System | str, entity: EntityType | str, direction: str, page: int, page_size: int
) -> tuple[System, EntityType, Direction]:
    try:
        system, entity = System(system), EntityType(entity)
    except ValueError as exc:
        raise ValidationError(f"invalid preview request: {exc}") from None
    if system not in EXTERNAL_SYSTEMS:
        raise ValidationError(f"a preview compares an external system with the hub, not {system.value!r}")
    if direction not in DIRECTIONS:
        raise ValidationError(f"direction must be inbound or outbound, not {direction!r}")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page must be >= 1 and page_size between 1 and {MAX_PAGE_SIZE}")
    return system, entity, direction

