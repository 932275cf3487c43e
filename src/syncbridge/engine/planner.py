"""Planning one stage: read both sides, compute the delta, write the operations as batches.

The planner streams the system's side through ``engine.store_delta`` (the hub's side and the links stay in the
database, looked up a page at a time, so memory does not grow with the catalog), turns each change into a
``PlannedOp`` carrying the record to write, and writes batches of ``batch_size`` as it goes.
Nothing external is written here. Changes that both sides made since the last sync are settled by the field
policies when they can be, else recorded as DataMismatch conflicts; the plan only holds what it may apply.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from syncbridge.connectors.base import Connector, OpKind, Rejected
from syncbridge.domain.codec import to_dict
from syncbridge.domain.conflicts import ConflictType, FieldPolicies, settle_mismatch
from syncbridge.domain.delta import Change, ChangeKind, SideItem, field_diff
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.plan import PlannedOp, Selective, plan_op
from syncbridge.domain.records import EntityType, Record, StockLevel, System
from syncbridge.engine.conflict_sink import ConflictNote, drop_plan_conflicts, record_conflicts
from syncbridge.engine.stages import Stage
from syncbridge.engine.store_delta import claim_prefix, store_changes
from syncbridge.errors import ValidationError
from syncbridge.store import batches as batch_repo
from syncbridge.store import conflicts as conflict_repo
from syncbridge.store import hub_records
from syncbridge.store import runs as run_repo
from syncbridge.store.delta_lookup import drop_claims
from syncbridge.store.session import refresh_statistics, transaction


def is_deleted(record: Record) -> bool:
    """Whether a record read from a system stands for a deletion (archived, trashed, cancelled-by-delete)."""
    status = getattr(record, "status", None)
    if getattr(record, "active", True) is False:
        return True
    return status is not None and str(status) == "archived"


def has_natural_key(record: Record) -> bool:
    """Whether the record carries what matches it across systems (a stock level: its SKU)."""
    return bool(record.sku.strip() if isinstance(record, StockLevel) else record.natural_key)


_KEY_NAMES = {"customers": "e-mail", "orders": "order number", "payments": "payment reference"}


def keyless(record: Record, system: System) -> Rejected:
    """A live record without a natural key: it cannot be matched in another system, and two such records would
    match each other, so it is a ValidationError conflict for someone to give it one, never a hub record."""
    name = _KEY_NAMES.get(record.ENTITY.value, "SKU")
    return Rejected(
        str(record.external_id),
        ValidationError(
            f"it has no {name}, so it cannot be matched in the other systems: give it one in {system.value}",
            code="missing_natural_key",
        ),
    )


def read_side_key(system: System, external_id: str = "") -> str:
    """The natural key of a read-side conflict (a record listed unreadable or without a natural key):
    ``<system>#<id>``; with no id, the prefix all of that system's share."""
    return f"{system.value}#{external_id}"


def side_items(records: Iterable[Record]) -> Iterator[SideItem]:
    for r in records:
        yield SideItem(
            id=str(r.external_id if r.external_id is not None else r.hub_id),
            natural_key=r.natural_key,
            fingerprint=fingerprint_of(r),
            deleted=is_deleted(r),
        )


class PlanningLost(Exception):
    """This worker's planning lease lapsed and another worker took the stage over: stop writing batches."""


@dataclass
class StagePlan:
    """What planning a stage produced (for progress and the activity log)."""

    operations: int = 0
    batches: int = 0
    conflicts: int = 0
    settled: int = 0
    held_back: dict[str, int] = field(default_factory=dict)  # by change kind, refused by selective settings
    source_cursor: str | None = None


@dataclass(frozen=True)
class PlanContext:
    engine: Engine
    org_id: str
    run_id: str
    stage_index: int
    stage: Stage
    batch_size: int
    selective: Selective
    policies: FieldPolicies
    only_ids: Sequence[str] | None = None  # plan just these source records (an incremental, webhook-led run)
    push_only: bool = False  # a hub -> systems run: no "in" stage settled the conflicts it meets
    owner: str | None = None  # the planning lease holder; batches are written only while it holds the lease
    extend_lease: Callable[[], bool] = lambda: True  # False: the lease was lost, another worker plans it now


_PageData = tuple[Sequence[Record], str | None, Sequence[Rejected]]


class _RecordTap:
    """Passes records through as side items, remembers the current chunk's records by id, and collects the
    records the system listed but that could not be read (they are conflicts, not deletions)."""

    def __init__(self, watched: set[str] | None = None) -> None:
        self.watched = watched or set()  # ids with an open read-side conflict ("<system>#<id>")
        self.readable_again: list[str] = []  # of those, the ones read whole this time
        self.current: dict[str, Record] = {}
        self.cursor: str | None = None
        self.rejected: list[Rejected] = []
        self.rejected_ids: set[str] = set()

    def pages(self, pages: Iterable[_PageData], system: System, size: int = 1000) -> Iterator[list[SideItem]]:
        """Side items in chunks of whole pages, about ``size`` records each (the delta looks a chunk up in one
        query); ``current`` holds the chunk's records (the first listing of an id) until the next is read."""
        chunk: dict[str, Record] = {}
        items: list[SideItem] = []
        for records, cursor, rejected in pages:
            if not all(map(has_natural_key, records)):
                rejected = [
                    *rejected,
                    *(keyless(r, system) for r in records if not has_natural_key(r) and not is_deleted(r)),
                ]
                records = [r for r in records if has_natural_key(r) or is_deleted(r)]
            for record in records:
                chunk.setdefault(str(record.external_id if record.external_id is not None else record.hub_id), record)
            self.rejected.extend(rejected)
            self.rejected_ids.update(r.external_id for r in rejected)
            if cursor:
                self.cursor = cursor
            items.extend(side_items(records))
            if len(items) >= size:
                yield self._hand_over(chunk, items)
                chunk, items = {}, []
        if items:
            yield self._hand_over(chunk, items)

    def _hand_over(self, chunk: dict[str, Record], items: list[SideItem]) -> list[SideItem]:
        self.current = chunk
        if self.watched:
            self.readable_again.extend(i for i in chunk if i in self.watched)
        return items


def _pages(connector: Connector, entity: EntityType, only_ids: Sequence[str] | None) -> Iterator[_PageData]:
    if only_ids is not None:
        for start in range(0, len(only_ids), 100):
            yield connector.fetch(entity, list(only_ids[start : start + 100])), None, ()
        return
    for page in connector.iter_changes(entity, since=None):
        yield page.records, page.cursor, page.rejected


def plan_stage(ctx: PlanContext, connector: Connector) -> StagePlan:
    """Plan one stage; ``connector`` is the external system's (the source of an "in" stage, target of "out")."""
    stage = ctx.stage
    result = StagePlan()
    entity = stage.entity
    refresh_statistics(ctx.engine, [hub_records.table_of(entity).name, "sync_link"])  # earlier stages grew them
    claims = claim_prefix(ctx.run_id, ctx.stage_index)
    with transaction(ctx.engine) as conn:
        batch_repo.delete_stage_batches(conn, ctx.org_id, ctx.run_id, ctx.stage_index)
        drop_plan_conflicts(conn, ctx.org_id, ctx.run_id, ctx.stage_index)
        drop_claims(conn, claims)  # an earlier attempt's, cut short
        held = conflict_repo.open_natural_keys(conn, ctx.org_id, entity.value, stage.system.value)
        seq = batch_repo.next_seq(conn, ctx.org_id, ctx.run_id)
    prefix = read_side_key(stage.system)
    tap = _RecordTap({key[len(prefix) :] for key in held if key.startswith(prefix)})
    # The delta against the store: links and hub fingerprints stay in the database (looked up a page at a time),
    # so planning memory does not grow with the catalog.
    if stage.way == "in":
        system_pages = tap.pages(_pages(connector, entity, ctx.only_ids), stage.system)
    else:
        system_pages = (list(side_items(records)) for records, _, _ in _pages(connector, entity, None))
    changes = store_changes(
        ctx.engine,
        ctx.org_id,
        entity,
        stage.system,
        system_pages,
        way="in" if stage.way == "in" else "out",
        token=claims + uuid.uuid4().hex,
        complete=ctx.only_ids is None or stage.way == "out",
    )

    pending: list[tuple[Change, Record | None]] = []
    notes: list[ConflictNote] = []

    def flush() -> None:
        nonlocal seq
        if not ctx.extend_lease():
            raise PlanningLost(f"planning of stage {ctx.stage_index} of run {ctx.run_id} was taken over")
        ops = _resolve(ctx, pending, notes, result)
        pending.clear()
        with transaction(ctx.engine) as conn:
            if ctx.owner is not None and not run_repo.hold_planning(conn, ctx.org_id, ctx.run_id, owner=ctx.owner):
                raise PlanningLost(f"planning of stage {ctx.stage_index} of run {ctx.run_id} was taken over")
            seq = batch_repo.next_seq(conn, ctx.org_id, ctx.run_id)
            for start in range(0, len(ops), ctx.batch_size):
                chunk = ops[start : start + ctx.batch_size]
                batch_repo.insert_batch(
                    conn,
                    ctx.org_id,
                    ctx.run_id,
                    stage=ctx.stage_index,
                    seq=seq,
                    entity=entity.value,
                    source_system=stage.source.value,
                    target_system=stage.target.value,
                    operations=[op.to_json() for op in chunk],
                )
                seq += 1
                result.batches += 1
                result.operations += len(chunk)
        if notes:
            with transaction(ctx.engine) as conn:
                record_conflicts(conn, ctx.org_id, notes)
            result.conflicts += len(notes)
            notes.clear()

    for change in changes:
        if change.kind is ChangeKind.DELETED and (change.source_id or "") in tap.rejected_ids:
            continue  # listed but unreadable: it is there, so it was not deleted
        if change.natural_key and change.natural_key in held:
            result.held_back["open_conflict"] = result.held_back.get("open_conflict", 0) + 1
            continue
        record = tap.current.get(change.source_id or "") if stage.way == "in" else None
        pending.append((change, record))
        if len(pending) >= ctx.batch_size * 10:
            flush()
    flush()
    with transaction(ctx.engine) as conn:
        drop_claims(conn, claims)
    _reject_conflicts(ctx, tap.rejected, held, result)
    if tap.readable_again:
        with transaction(ctx.engine) as conn:
            conflict_repo.close_readable_again(
                conn,
                ctx.org_id,
                entity.value,
                stage.system.value,
                [read_side_key(stage.system, i) for i in tap.readable_again],
                resolved_by="syncbridge",
            )
    result.source_cursor = tap.cursor
    return result


def _reject_conflicts(ctx: PlanContext, rejected: Sequence[Rejected], held: set[str], result: StagePlan) -> None:
    """Each record the system listed but whose payload could not be read is a ValidationError conflict (once)."""
    stage = ctx.stage
    notes = []
    for reject in rejected:
        key = read_side_key(stage.system, reject.external_id)
        if key in held:
            continue
        notes.append(
            ConflictNote(
                run_id=ctx.run_id,
                batch_id=f"plan:{ctx.stage_index}",
                entity=stage.entity,
                conflict_type=ConflictType.VALIDATION_ERROR,
                natural_key=key,
                hub_id=None,
                source_system=stage.system,
                target_system=System.HUB,
                external_ids={stage.system.value: reject.external_id},
                source_version=None,
                target_version=None,
                diff={},
                error_code=reject.error.code,
                error_message=f"{stage.system.value} {stage.entity.value} #{reject.external_id} "
                f"{'is not synced' if reject.error.code == 'missing_natural_key' else 'cannot be read'}: "
                f"{reject.error.message}",
                operation=None,
            )
        )
    if notes:
        with transaction(ctx.engine) as conn:
            record_conflicts(conn, ctx.org_id, notes)
        result.conflicts += len(notes)


def _resolve(
    ctx: PlanContext, pending: list[tuple[Change, Record | None]], notes: list[ConflictNote], result: StagePlan
) -> list[PlannedOp]:
    """Turn a chunk of changes into operations: fetch the records they need, settle or record conflicts."""
    stage = ctx.stage
    entity = stage.entity
    if not pending:
        return []
    # The hub's side of each change: the target of an "in" stage, the source of an "out" stage.
    hub_ids = [
        (c.target_id if stage.way == "in" else c.source_id)
        for c, _ in pending
        if (c.target_id if stage.way == "in" else c.source_id)
    ]
    with transaction(ctx.engine) as conn:
        hub = hub_records.get_records(conn, ctx.org_id, entity, [h for h in hub_ids if h])
    ops: list[PlannedOp] = []
    for change, source_record in pending:
        if change.kind is not ChangeKind.CONFLICT and not (
            change.matched_by_natural_key and change.source_fingerprint != change.target_fingerprint
        ):
            if not ctx.selective.allows(change.kind):
                result.held_back[change.kind.value] = result.held_back.get(change.kind.value, 0) + 1
                continue
        if stage.way == "in":
            op = _inbound(ctx, change, source_record, hub, notes, result)
        else:
            op = _outbound(ctx, change, hub, notes)
        if op is not None:
            ops.append(op)
    return ops


def _inbound(
    ctx: PlanContext,
    change: Change,
    record: Record | None,
    hub: dict[str, Record],
    notes: list[ConflictNote],
    result: StagePlan,
) -> PlannedOp | None:
    stage = ctx.stage
    hub_record = hub.get(change.target_id or "")
    if change.kind is ChangeKind.DELETED:
        return plan_op(
            ctx.org_id,
            change,
            entity=stage.entity,
            source_system=stage.system,
            target_system=System.HUB,
            record=hub_record,
            hub_id=change.target_id,
        )
    if record is None:
        return None  # a change the tap cannot back with a record (not expected): nothing to write
    fingerprint = change.source_fingerprint  # side_items' fingerprint_of(record), while the record is the tap's
    both_changed = change.kind is ChangeKind.CONFLICT or (
        change.matched_by_natural_key and change.source_fingerprint != change.target_fingerprint
    )
    if both_changed and hub_record is not None:
        other = next((s for s in (System.WOOCOMMERCE, System.ODOO) if s is not stage.system), System.HUB)
        wanted = plan_op(
            ctx.org_id,
            dataclasses.replace(change, kind=ChangeKind.UPDATED),
            entity=stage.entity,
            source_system=stage.system,
            target_system=System.HUB,
            record=record,
            hub_id=change.target_id,
        )
        merged = settle_mismatch(
            hub_record,
            record,
            incoming_system=stage.system,
            other_system=other,
            policies=ctx.policies,
            hub_modified_at=hub_record.modified_at,
            incoming_modified_at=record.modified_at,
        )
        if merged is None:
            notes.append(
                _mismatch(
                    ctx,
                    wanted,
                    source=record,
                    target=hub_record,
                    message=f"{stage.entity.value} {record.natural_key} changed in {stage.system.value} and in "
                    "the hub since the last sync, and the field policies do not settle every difference",
                )
            )
            return None
        result.settled += 1
        record = dataclasses.replace(merged, external_id=record.external_id)
        fingerprint = None
        change = dataclasses.replace(change, kind=ChangeKind.UPDATED)
    return plan_op(
        ctx.org_id,
        change,
        entity=stage.entity,
        source_system=stage.system,
        target_system=System.HUB,
        record=record,
        hub_id=change.target_id,
        fingerprint=fingerprint,
    )


def _outbound(ctx: PlanContext, change: Change, hub: dict[str, Record], notes: list[ConflictNote]) -> PlannedOp | None:
    stage = ctx.stage
    hub_record = hub.get(change.source_id or "")
    if change.kind is ChangeKind.CONFLICT:
        # Both changed since the last sync: the "in" stage of this run already settled it or recorded the
        # conflict (two-way); in a hub -> system run the hub's version is pushed only after review.
        if ctx.push_only:
            if hub_record is not None:
                wanted = plan_op(
                    ctx.org_id,
                    dataclasses.replace(change, kind=ChangeKind.UPDATED),
                    entity=stage.entity,
                    source_system=System.HUB,
                    target_system=stage.system,
                    record=dataclasses.replace(hub_record, external_id=change.target_id),
                    hub_id=hub_record.hub_id,
                )
                notes.append(
                    _mismatch(
                        ctx,
                        wanted,
                        source=hub_record,
                        target=None,
                        message=f"{stage.entity.value} {hub_record.natural_key} changed in the hub and in "
                        f"{stage.system.value} since the last sync",
                    )
                )
        return None
    if hub_record is None:
        return None
    if change.kind is ChangeKind.DELETED and change.source_id is None:
        return None
    if hub_record.external_id != change.target_id:
        hub_record = dataclasses.replace(hub_record, external_id=change.target_id)
    op = plan_op(
        ctx.org_id,
        change,
        entity=stage.entity,
        source_system=System.HUB,
        target_system=stage.system,
        record=hub_record,
        hub_id=hub_record.hub_id,
        fingerprint=change.source_fingerprint,  # the hub row's stored fingerprint_of(record); ids do not count
    )
    if op.kind is OpKind.DELETE and change.target_id is None:
        return None
    return op


def _mismatch(
    ctx: PlanContext, wanted: PlannedOp, *, source: Record, target: Record | None, message: str
) -> ConflictNote:
    """A DataMismatch found while planning, carrying the operation "take source" would apply."""
    external = {
        s.value: i
        for s, i in ((wanted.source_system, wanted.source_id), (wanted.target_system, wanted.target_id))
        if s is not System.HUB and i
    }
    return ConflictNote(
        run_id=ctx.run_id,
        batch_id=f"plan:{ctx.stage_index}",
        entity=wanted.entity,
        conflict_type=ConflictType.DATA_MISMATCH,
        natural_key=wanted.natural_key,
        hub_id=wanted.hub_id,
        source_system=wanted.source_system,
        target_system=wanted.target_system,
        external_ids=external,
        source_version=to_dict(source),
        target_version=to_dict(target) if target is not None else None,
        diff=field_diff(target, source) if target is not None else {},
        error_code="both_changed",
        error_message=message,
        operation=wanted.to_json(),
    )
