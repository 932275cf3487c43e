"""The Odoo change feed: Odoo has no webhooks we can rely on, so poll by ``write_date`` on a schedule.

For every organization with an Odoo connection and every entity, list what changed since the feed's cursor
(``connector.iter_changes(entity, since=cursor)``); changed records invalidate the preview cache and are synced
incrementally (``orchestration.sync_touched``), exactly as a WooCommerce webhook does. The cursor lives in
``sync_cursor`` under the system ``odoo-feed``, apart from the runs' own cursors.

The first poll of an (org, entity) only sets the cursor (a baseline): bringing everything across is the job
of a full run, and a feed that started by syncing a whole catalog would swamp the queue.

The connector re-reads a window before the cursor (Odoo's ``write_date`` has one-second resolution and
commits land late), so a poll sees recent records again. A record is handed on only when its fingerprint
differs both from what the last sync linked (``sync_link.last_fingerprint``) and from what this feed last
reported; that memory is per process and bounded (after a restart, at most one extra incremental sync).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from syncbridge.connectors.base import Connector
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import ENTITY_ORDER, EntityType, System
from syncbridge.errors import SyncError
from syncbridge.services.webhooks import PreviewInvalidator, TouchedSyncer, notify_touched
from syncbridge.store.connections import list_connections
from syncbridge.store.cursors import get_cursor, set_cursor
from syncbridge.store.links import links_by_external
from syncbridge.store.orgs import list_orgs
from syncbridge.store.session import transaction

log = logging.getLogger("syncbridge.changefeed")

FEED_SYSTEM = "odoo-feed"


@dataclass(frozen=True, slots=True)
class FeedResult:
    org_id: str
    entity: EntityType
    changed: int  # records handed to the orchestrator
    baseline: bool = False  # the first poll: the cursor was set, nothing synced
    error: str | None = None


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def changed_ids(current: Mapping[str, str], synced: Mapping[str, str | None], reported: Mapping[str, str]) -> list[str]:
    """Ids whose fingerprint is neither the one last synced nor the one this feed last reported."""
    return [i for i, fp in current.items() if synced.get(i) != fp and reported.get(i) != fp]


class _Memory:
    """The fingerprints last reported per (org, entity), the most recent ``capacity`` ids of each."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._seen: dict[tuple[str, EntityType], OrderedDict[str, str]] = {}

    def of(self, org_id: str, entity: EntityType) -> Mapping[str, str]:
        return self._seen.get((org_id, entity), OrderedDict())

    def remember(self, org_id: str, entity: EntityType, prints: Mapping[str, str]) -> None:
        seen = self._seen.setdefault((org_id, entity), OrderedDict())
        for external_id, fingerprint in prints.items():
            seen[external_id] = fingerprint
            seen.move_to_end(external_id)
        while len(seen) > self.capacity:
            seen.popitem(last=False)


class OdooChangeFeed:
    def __init__(
        self,
        engine: Engine,
        *,
        connector_for: Callable[[str, System], Connector],
        preview: PreviewInvalidator,
        orchestration: TouchedSyncer,
        entities: Sequence[EntityType] = ENTITY_ORDER,
        page_size: int = 200,
        max_ids_per_sync: int = 500,
        memory_per_entity: int = 10_000,
    ) -> None:
        self.engine = engine
        self.connector_for = connector_for
        self.preview = preview
        self.orchestration = orchestration
        self.entities = tuple(entities)
        self.page_size = page_size
        self.max_ids_per_sync = max_ids_per_sync
        self._memory = _Memory(memory_per_entity)

    def orgs_with_odoo(self) -> list[str]:
        with transaction(self.engine) as conn:
            return [o.id for o in list_orgs(conn) if list_connections(conn, o.id, system=System.ODOO.value)]

    def poll_once(self) -> list[FeedResult]:
        results: list[FeedResult] = []
        for org_id in self.orgs_with_odoo():
            results.extend(self.poll_org(org_id))
        return results

    def poll_org(self, org_id: str) -> list[FeedResult]:
        try:
            connector = self.connector_for(org_id, System.ODOO)
        except SyncError as exc:
            log.warning("change feed: org %s: cannot reach Odoo: %s", org_id, exc.message)
            return [FeedResult(org_id, e, 0, error=exc.message) for e in self.entities]
        try:
            return [self._poll_entity(org_id, connector, entity) for entity in self.entities]
        finally:
            connector.close()

    def _save(self, org_id: str, entity: EntityType, cursor: str | None) -> None:
        with transaction(self.engine) as conn:
            set_cursor(conn, org_id, FEED_SYSTEM, entity.value, cursor)

    def _poll_entity(self, org_id: str, connector: Connector, entity: EntityType) -> FeedResult:
        with transaction(self.engine) as conn:
            cursor = get_cursor(conn, org_id, FEED_SYSTEM, entity.value)
        baseline = cursor is None
        changed = 0
        last = cursor
        try:
            for page in connector.iter_changes(entity, since=cursor, page_size=self.page_size):
                prints = {str(r.external_id): fingerprint_of(r) for r in page.records if r.external_id}
                ids = [] if baseline else self._changed(org_id, entity, prints)
                for part in chunks(ids, self.max_ids_per_sync):
                    notify_touched(self.preview, self.orchestration, org_id, System.ODOO, entity, part)
                changed += len(ids)
                self._memory.remember(org_id, entity, prints)
                if page.cursor is not None:
                    last = page.cursor
                    if not baseline:  # progress survives a failure on a later page
                        self._save(org_id, entity, last)
        except SyncError as exc:
            log.warning("change feed: org %s, %s: %s", org_id, entity.value, exc.message)
            return FeedResult(org_id, entity, changed, baseline=baseline, error=exc.message)
        if baseline and last is not None:
            self._save(org_id, entity, last)
        return FeedResult(org_id, entity, changed, baseline=baseline)

    def _changed(self, org_id: str, entity: EntityType, prints: Mapping[str, str]) -> list[str]:
        if not prints:
            return []
        with transaction(self.engine) as conn:
            links = links_by_external(conn, org_id, entity.value, System.ODOO.value, list(prints))
        synced = {k: link.last_fingerprint for k, link in links.items()}
        return changed_ids(prints, synced, self._memory.of(org_id, entity))

    def run(self, stop: threading.Event, interval_s: float) -> None:
        """Poll every ``interval_s`` seconds until ``stop`` is set; one failing poll never ends the loop."""
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:  # the feed is a background convenience: log, keep going
                log.exception("change feed: poll failed")
            stop.wait(interval_s)


def start_change_feed(feed: OdooChangeFeed, interval_s: float) -> Callable[[], None]:
    """Run the feed in a daemon thread; the returned function stops it (and waits a little for it)."""
    stop = threading.Event()
    thread = threading.Thread(target=feed.run, args=(stop, interval_s), name="odoo-change-feed", daemon=True)
    thread.start()

    def stop_feed() -> None:
        stop.set()
        thread.join(timeout=10)

    return stop_feed
