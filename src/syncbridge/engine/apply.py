"""Calling a target system for a list of planned operations, with retries: the only place the engine writes out.

Transient failures (429, 5xx, resets, timeouts, lost responses) are retried per item with exponential backoff and
full jitter (``domain.conflicts.decide_retry``), honouring ``Retry-After``. A create is safe to retry: every
connector looks the natural key up before creating. An auth failure stops all calls to that system. Between
attempts the run's pause / cancel is honoured: what was not attempted is handed back untouched.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from syncbridge.connectors.base import Connector, OpKind, OpResult
from syncbridge.domain.conflicts import (
    ConflictType,
    Strategy,
    StrategyOverrides,
    classify,
    decide_retry,
    strategy_for,
)
from syncbridge.domain.plan import PlannedOp
from syncbridge.errors import NotFoundError, SyncError, TransientError


@dataclass
class ItemOutcome:
    op: PlannedOp
    ok: bool
    external_id: str | None = None
    error: SyncError | None = None
    attempts: int = 1
    linked_existing: bool = False
    skipped: str | None = None  # why an item was not applied without being a failure (already applied, dry run)
    conflict_id: str | None = None

    @property
    def key(self) -> str:
        return self.op.key

    @property
    def hub_id(self) -> str | None:
        return self.op.hub_id


@dataclass
class ApplyReport:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    untouched: list[PlannedOp] = field(default_factory=list)  # not attempted: the run was paused or cancelled
    auth_failed: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_s: float = 1.0
    cap_s: float = 16.0
    overrides: StrategyOverrides = field(default_factory=dict)


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> bool:
    """Sleep in small steps; True when a stop was requested meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        if should_stop():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.2))


def _call(connector: Connector, ops: Sequence[PlannedOp]) -> list[OpResult]:
    entity = ops[0].entity
    try:
        results = connector.apply(entity, [op.operation() for op in ops])
    except SyncError as exc:
        return [OpResult(key=op.key, error=exc) for op in ops]
    if len(results) != len(ops):
        error = TransientError(f"the connector answered {len(results)} results for {len(ops)} operations")
        return [OpResult(key=op.key, error=error) for op in ops]
    return results


def apply_with_retries(
    connector: Connector,
    ops: Sequence[PlannedOp],
    *,
    policy: RetryPolicy,
    should_stop: Callable[[], bool] = lambda: False,
    rng: random.Random | None = None,
) -> ApplyReport:
    rng = rng or random.Random()
    report = ApplyReport()
    remaining = list(ops)
    attempt = 0
    while remaining:
        if should_stop():
            report.untouched.extend(remaining)
            return report
        results = _call(connector, remaining)
        retry: list[PlannedOp] = []
        delay = 0.0
        for op, result in zip(remaining, results, strict=True):
            error = result.error
            if error is None:
                report.outcomes.append(
                    ItemOutcome(
                        op, True, result.external_id, attempts=attempt + 1, linked_existing=result.linked_existing
                    )
                )
                continue
            if op.kind is OpKind.DELETE and isinstance(error, NotFoundError):
                # Already gone: the effect a delete wants holds.
                report.outcomes.append(ItemOutcome(op, True, op.target_id, attempts=attempt + 1))
                continue
            conflict_type = classify(error)
            strategy = strategy_for(policy.overrides, op.entity, conflict_type)
            if conflict_type is ConflictType.AUTH_ERROR:
                report.auth_failed = True
            decision = decide_retry(
                error,
                attempt,
                policy.max_retries,
                rng,
                Strategy.MANUAL if not error.retryable else strategy,
                base_s=policy.base_s,
                cap_s=policy.cap_s,
            )
            if decision.retry:
                retry.append(op)
                delay = max(delay, decision.delay_s)
            else:
                report.outcomes.append(ItemOutcome(op, False, None, error=error, attempts=attempt + 1))
        if report.auth_failed:
            # No point hammering a system that refuses our credentials: the rest is not attempted.
            for op in retry:
                report.outcomes.append(ItemOutcome(op, False, None, error=_auth_stop(), attempts=attempt + 1))
            return report
        remaining = retry
        attempt += 1
        if remaining and _sleep(delay, should_stop):
            report.untouched.extend(remaining)
            return report
    return report


def _auth_stop() -> SyncError:
    from syncbridge.errors import AuthError

    return AuthError(
        "not attempted: the system refused the connection's credentials earlier in this run", code="system_blocked"
    )
