"""Executing planned operations: idempotency claims, the target call, and one transaction of bookkeeping.

For an external target: (1) claim an idempotency key per effect and commit, (2) call the system
(``apply.apply_with_retries``), (3) in ONE serializable transaction (retried on serialization failure) record
links, applied keys, conflicts for failures, the activity row, the batch result and the stage's advance.
A crash between (2) and (3) leaves the keys ``claimed``: the batch is claimed again after its lease lapses and
its creates find their records by natural key instead of duplicating them.

For the hub as target, steps (1) to (3) are all one serializable transaction.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.connectors.base import Connector, OpKind, OpResult
from syncbridge.connectors.hub import HubConnector
from syncbridge.domain.codec import to_dict
from syncbridge.domain.conflicts import ConflictType, classify
from syncbridge.domain.plan import PlannedOp
from syncbridge.domain.records import EntityType, System
from syncbridge.engine.apply import ApplyReport, ItemOutcome, RetryPolicy, apply_with_retries
from syncbridge.engine.conflict_sink import ConflictNote, record_conflicts
from syncbridge.errors import DuplicateKeyError, SyncError
from syncbridge.store import activity, idempotency, links
from syncbridge.store.idempotency import EffectClaim
from syncbridge.store.session import is_retryable, retry_serializable, transaction

ConnectorFactory = Callable[[str, System], Connector]


@dataclass
class ExecResult:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    untouched: list[PlannedOp] = field(default_factory=list)
    auth_failed: bool = False
    conflict_ids: dict[str, str] = field(default_factory=dict)  # op key -> conflict id

    def counts(self) -> dict[str, int]:
        applied = sum(1 for o in self.outcomes if o.ok and o.skipped is None)
        skipped = sum(1 for o in self.outcomes if o.skipped is not None)
        conflicts = sum(1 for o in self.outcomes if not o.ok)
        return {"applied": applied, "skipped": skipped, "conflicts": conflicts, "untouched": len(self.untouched)}


def _claims(ops: Sequence[PlannedOp]) -> list[EffectClaim]:
    return [
        EffectClaim(
            key=op.key,
            system=op.target_system.value,
            entity=op.entity.value,
            hub_id=op.hub_id,
            operation=op.kind.value,
            target_fingerprint=op.target_fingerprint,
        )
        for op in ops
    ]


def _note(op: PlannedOp, outcome: ItemOutcome, run_id: str | None, batch_id: str | None) -> ConflictNote:
    error = outcome.error
    assert error is not None
    conflict_type = classify(error)
    if conflict_type is ConflictType.RETRY_EXHAUSTED:
        message = f"{error.message} (gave up after {outcome.attempts} attempts)"
    else:
        message = error.message
    external_ids = {}
    if op.source_id and op.source_system is not System.HUB:
        external_ids[op.source_system.value] = op.source_id
    if op.target_id and op.target_system is not System.HUB:
        external_ids[op.target_system.value] = op.target_id
    resource = error.details.get("resource_id") if error.details else None
    if resource is not None:
        external_ids[f"{op.target_system.value}:existing"] = str(resource)
    return ConflictNote(
        run_id=run_id,
        batch_id=batch_id,
        entity=op.entity,
        conflict_type=conflict_type,
        natural_key=op.natural_key,
        hub_id=op.hub_id,
        source_system=op.source_system,
        target_system=op.target_system,
        external_ids=external_ids,
        source_version=to_dict(op.record) if op.record is not None else None,
        target_version=None,
        diff={},
        error_code=error.code,
        error_message=message,
        operation=op.to_json(),
        attempts=outcome.attempts,
    )


def _success_writes(
    outcome: ItemOutcome,
) -> tuple[links.LinkWrite | None, tuple[str, str | None, str | None]]:
    """The link and the idempotency mark one applied item leaves behind."""
    op = outcome.op
    link: links.LinkWrite | None = None
    if op.target_system is System.HUB:
        hub_id = outcome.external_id or op.hub_id
        if hub_id and op.source_id and op.source_system is not System.HUB and op.kind is not OpKind.DELETE:
            link = links.LinkWrite(op.entity.value, hub_id, op.source_system.value, op.source_id, op.source_fingerprint)
    else:
        hub_id = op.hub_id
        if hub_id and outcome.external_id and op.kind is not OpKind.DELETE:
            link = links.LinkWrite(
                op.entity.value, hub_id, op.target_system.value, outcome.external_id, op.target_fingerprint
            )
    return link, (op.key, outcome.external_id, hub_id)


def book(
    conn: sa.Connection,
    org_id: str,
    result: ExecResult,
    *,
    run_id: str | None,
    batch_id: str | None,
    record_failures: bool = True,
) -> None:
    """Links, idempotency states and conflicts for what an execution did (in the caller's transaction)."""
    failed: list[ItemOutcome] = []
    link_writes: list[links.LinkWrite] = []
    marks: list[tuple[str, str | None, str | None]] = []
    for outcome in result.outcomes:
        if outcome.ok:
            if outcome.skipped != "dry_run":
                link, mark = _success_writes(outcome)
                if link is not None:
                    link_writes.append(link)
                marks.append(mark)
        else:
            failed.append(outcome)
    links.upsert_links(conn, org_id, link_writes)
    idempotency.mark_applied_many(conn, org_id, marks)
    idempotency.mark_failed(conn, org_id, [o.key for o in failed])
    if record_failures and failed:
        ids = record_conflicts(conn, org_id, [_note(o.op, o, run_id, batch_id) for o in failed])
        for outcome, conflict_id in zip(failed, ids, strict=True):
            outcome.conflict_id = conflict_id
            result.conflict_ids[outcome.key] = conflict_id


def _precheck_hub_duplicates(
    conn: sa.Connection, org_id: str, ops: Sequence[PlannedOp]
) -> tuple[list[PlannedOp], list[ItemOutcome]]:
    """Creates into the hub whose natural key a live hub record already has (unless it is linked to this very
    source record), or that appears twice in the batch, are DuplicateKey conflicts: two source records would map
    to one hub record. A create is planned only when the delta matched no unlinked hub record by that key, so a
    hub record holding it now was claimed by another operation of the run (such as the one the delta matched to
    it, in a batch another worker runs later): which record keeps it must not depend on batch order."""
    from syncbridge.store import hub_records

    creates = [op for op in ops if op.kind is OpKind.CREATE and op.record is not None]
    if not creates:
        return list(ops), []
    entity = creates[0].entity
    existing = hub_records.find_by_natural_keys(conn, org_id, entity, [op.natural_key for op in creates])
    keep: list[PlannedOp] = []
    refused: list[ItemOutcome] = []
    # A create whose natural key an update of the same batch also writes would land on the same hub record.
    seen: set[str] = {op.natural_key for op in ops if op.kind is OpKind.UPDATE and op.record is not None}
    linked_cache: dict[tuple[str, str], Any] = {}
    for op in ops:
        if op not in creates:
            keep.append(op)
            continue
        clash = op.natural_key in seen
        hub = existing.get(op.natural_key)
        if not clash and hub is not None and hub.hub_id:
            cache_key = (op.source_system.value, hub.hub_id)
            if cache_key not in linked_cache:
                linked_cache[cache_key] = links.get_link_by_hub(
                    conn, org_id, entity.value, op.source_system.value, hub.hub_id
                )
            link = linked_cache[cache_key]
            clash = link is None or link.external_id != op.source_id
        seen.add(op.natural_key)
        if clash:
            error = DuplicateKeyError(
                f"{entity.value} {op.natural_key!r} already belongs to another {op.source_system.value} record: "
                "two source records map to one hub record",
                code="duplicate_natural_key",
            )
            refused.append(ItemOutcome(op, False, None, error=error))
        else:
            keep.append(op)
    return keep, refused


def execute_on_hub(
    conn: sa.Connection, org_id: str, ops: Sequence[PlannedOp], *, run_id: str | None, dry_run: bool = False
) -> ExecResult:
    """Apply operations to the hub in the caller's (serializable) transaction."""
    result = ExecResult()
    states = idempotency.claim_effects(conn, org_id, run_id, _claims(ops))
    todo: list[PlannedOp] = []
    for op in ops:
        state = states.get(op.key)
        if state is not None and state.status == "applied":
            result.outcomes.append(ItemOutcome(op, True, state.external_id, skipped="already_applied"))
        elif dry_run:
            result.outcomes.append(ItemOutcome(op, True, None, skipped="dry_run"))
        else:
            todo.append(op)
    todo, refused = _precheck_hub_duplicates(conn, org_id, todo)
    result.outcomes.extend(refused)
    todo = _bulk_upsert(conn, org_id, todo, result)
    if todo:
        hub = HubConnector(conn, org_id)
        by_entity: dict[EntityType, list[PlannedOp]] = {}
        for op in todo:
            by_entity.setdefault(op.entity, []).append(op)
        for entity, group in by_entity.items():
            answers: list[OpResult] = hub.apply(entity, [op.operation() for op in group])
            for op, answer in zip(group, answers, strict=True):
                result.outcomes.append(
                    ItemOutcome(
                        op, answer.ok, answer.external_id, error=answer.error, linked_existing=answer.linked_existing
                    )
                )
    return result


def _bulk_upsert(conn: sa.Connection, org_id: str, ops: list[PlannedOp], result: ExecResult) -> list[PlannedOp]:
    """Creates and updates of the hub in two statements; what is left (deletes, or all of them when a row breaks
    a constraint) goes the one-at-a-time way, which reports each item's own error."""
    from syncbridge.store import hub_records

    writes = [op for op in ops if op.kind is not OpKind.DELETE and op.record is not None]
    if len(writes) < 2 or len({op.entity for op in writes}) != 1:
        return ops
    records = [
        dataclasses.replace(op.record, hub_id=op.target_id if op.kind is OpKind.UPDATE else None)
        for op in writes
        if op.record is not None
    ]
    try:
        with conn.begin_nested():
            hub_ids = hub_records.upsert_many(conn, org_id, records)
    except sa.exc.DBAPIError as exc:
        if is_retryable(exc):
            raise  # the whole transaction goes again (retry_serializable); no row is at fault
        return ops
    except SyncError:
        return ops
    for op, hub_id in zip(writes, hub_ids, strict=True):
        result.outcomes.append(ItemOutcome(op, True, hub_id))
    done = {op.key for op in writes}
    return [op for op in ops if op.key not in done]


def execute_external(
    engine: Engine,
    org_id: str,
    ops: Sequence[PlannedOp],
    *,
    connector: Connector,
    run_id: str | None,
    policy: RetryPolicy,
    should_stop: Callable[[], bool] = lambda: False,
    dry_run: bool = False,
    blocked: bool = False,
    rng: random.Random | None = None,
) -> ExecResult:
    """Claim, then call the system. The bookkeeping transaction is the caller's (``book``)."""
    result = ExecResult()
    with transaction(engine) as conn:
        states = idempotency.claim_effects(conn, org_id, run_id, _claims(ops))
    todo: list[PlannedOp] = []
    for op in ops:
        state = states.get(op.key)
        if state is not None and state.status == "applied":
            result.outcomes.append(ItemOutcome(op, True, state.external_id, skipped="already_applied"))
        elif dry_run:
            result.outcomes.append(ItemOutcome(op, True, None, skipped="dry_run"))
        elif blocked:
            from syncbridge.engine.apply import _auth_stop

            result.outcomes.append(ItemOutcome(op, False, None, error=_auth_stop(), attempts=0))
        else:
            todo.append(op)
    if todo:
        report: ApplyReport = apply_with_retries(connector, todo, policy=policy, should_stop=should_stop, rng=rng)
        result.outcomes.extend(report.outcomes)
        result.untouched.extend(report.untouched)
        result.auth_failed = report.auth_failed
    return result


def apply_planned(
    engine: Engine,
    org_id: str,
    ops: Sequence[PlannedOp],
    *,
    connector_for: ConnectorFactory,
    run_id: str | None = None,
    max_retries: int = 0,
    record_failures: bool = False,
    retry_base_s: float = 1.0,
) -> list[ItemOutcome]:
    """Apply operations now, through the same path as a run (idempotent, transactional, logged).

    Used by the conflict resolver. Failures come back as outcomes; they become conflicts only when
    ``record_failures`` is set (the resolver updates its own conflict instead).
    """
    outcomes: list[ItemOutcome] = []
    groups: dict[tuple[System, EntityType], list[PlannedOp]] = {}
    for op in ops:
        groups.setdefault((op.target_system, op.entity), []).append(op)
    policy = RetryPolicy(max_retries=max_retries, base_s=retry_base_s)
    for (target, entity), group in groups.items():
        result = _apply_group(
            engine,
            org_id,
            group,
            target,
            entity,
            connector_for=connector_for,
            run_id=run_id,
            policy=policy,
            record_failures=record_failures,
        )
        outcomes.extend(result.outcomes)
    return outcomes


def _apply_group(
    engine: Engine,
    org_id: str,
    group: list[PlannedOp],
    target: System,
    entity: EntityType,
    *,
    connector_for: ConnectorFactory,
    run_id: str | None,
    policy: RetryPolicy,
    record_failures: bool,
) -> ExecResult:
    started = time.monotonic()
    if target is System.HUB:

        def on_hub(conn: sa.Connection) -> ExecResult:
            result = execute_on_hub(conn, org_id, group, run_id=run_id)
            book(conn, org_id, result, run_id=run_id, batch_id=None, record_failures=record_failures)
            _log(conn, org_id, run_id, entity, target, result, started, kind="resolve")
            return result

        return retry_serializable(on_hub, engine)
    connector = connector_for(org_id, target)
    try:
        done = execute_external(engine, org_id, group, connector=connector, run_id=run_id, policy=policy)
    finally:
        connector.close()

    def after(conn: sa.Connection) -> ExecResult:
        book(conn, org_id, done, run_id=run_id, batch_id=None, record_failures=record_failures)
        _log(conn, org_id, run_id, entity, target, done, started, kind="resolve")
        return done

    return retry_serializable(after, engine)


def _log(
    conn: sa.Connection,
    org_id: str,
    run_id: str | None,
    entity: EntityType,
    target: System,
    result: ExecResult,
    started: float,
    *,
    kind: str,
    message: str = "",
) -> None:
    counts = result.counts()
    activity.record_activity(
        conn,
        org_id,
        kind=kind,
        message=message
        or f"{counts['applied']} applied, {counts['skipped']} skipped, "
        f"{counts['conflicts']} conflicts ({entity.value} -> {target.value})",
        run_id=run_id,
        entity=entity.value,
        system=target.value,
        counts=counts,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
