"""Run and batch state machines: the allowed moves live in one table each; ``transition`` refuses the rest."""

from __future__ import annotations

from enum import StrEnum

from syncbridge.errors import IllegalTransitionError


class RunStatus(StrEnum):
    PENDING = "pending"  # queued: planned or waiting for its entities to be free
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETING = "completing"  # every batch done; final bookkeeping (cursors, cache invalidation, summary)
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset({RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.CANCELLED, RunStatus.FAILED}),
    RunStatus.RUNNING: frozenset(
        {RunStatus.PAUSED, RunStatus.COMPLETING, RunStatus.CANCELLED, RunStatus.FAILED, RunStatus.PENDING}
    ),
    RunStatus.PAUSED: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED}),
    RunStatus.COMPLETING: frozenset({RunStatus.COMPLETED, RunStatus.FAILED}),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}

ACTIVE_RUN_STATUSES = frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.COMPLETING})
FINAL_RUN_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})


class BatchStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # leased by a worker
    DONE = "done"
    CANCELLED = "cancelled"


BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.PENDING: frozenset({BatchStatus.CLAIMED, BatchStatus.CANCELLED}),
    # back to PENDING: the lease was given up (shutdown, pause) or expired (the worker died)
    BatchStatus.CLAIMED: frozenset({BatchStatus.DONE, BatchStatus.PENDING, BatchStatus.CLAIMED, BatchStatus.CANCELLED}),
    BatchStatus.DONE: frozenset(),
    BatchStatus.CANCELLED: frozenset(),
}


def transition_run(current: RunStatus | str, target: RunStatus | str) -> RunStatus:
    """The new status, or ``IllegalTransitionError`` when the table does not allow the move."""
    src, dst = RunStatus(current), RunStatus(target)
    if dst not in RUN_TRANSITIONS[src]:
        raise IllegalTransitionError(
            f"a {src.value} run cannot become {dst.value}",
            code="illegal_transition",
            details={"from": src.value, "to": dst.value},
        )
    return dst


def transition_batch(current: BatchStatus | str, target: BatchStatus | str) -> BatchStatus:
    src, dst = BatchStatus(current), BatchStatus(target)
    if dst not in BATCH_TRANSITIONS[src]:
        raise IllegalTransitionError(
            f"a {src.value} batch cannot become {dst.value}", details={"from": src.value, "to": dst.value}
        )
    return dst
