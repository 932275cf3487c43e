"""Conflicts, pure: what kind a failure is, whether and when to try again, and which side a field follows.

Types of conflict, from the error an item ended with (``classify``)::

    AuthError, PermissionDeniedError, ConfigError   -> auth_error        (the run stops calling that system)
    DuplicateKeyError                               -> duplicate_key
    ValidationError, NotFoundError, other permanent -> validation_error  (the target refused the values)
    TransientError, RateLimitedError (retryable)    -> retry_exhausted   (once its retries are spent)
    a mismatch no field policy settles              -> data_mismatch     (made by the engine, not by an error)

Strategies (per organization, entity and conflict type; ``DEFAULT_STRATEGIES`` otherwise):

* ``auto_retry``: the item is tried again, with exponential backoff and full jitter, up to the run's
  ``max_retries``; what is still failing then is left open for review. A transient error is always retried
  this way (that is what transient means); ``auto_retry`` on a permanent type retries it too (for example a
  validation error caused by a record that a later batch creates).
* ``manual``: no retry; the conflict goes to review, and the run carries on with the other items.
* ``skip``: no retry; the conflict is recorded as skipped and the item is not applied.

An auth error is never retried within a run, whatever the strategy: hammering a system that refused our
credentials helps nobody, and may lock the account.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from syncbridge.domain.fingerprint import diff_fields
from syncbridge.domain.records import RECORD_TYPES, EntityType, Record, System
from syncbridge.errors import (
    AuthError,
    ConfigError,
    DuplicateKeyError,
    PermissionDeniedError,
    SyncError,
)


class ConflictType(StrEnum):
    DATA_MISMATCH = "data_mismatch"
    DUPLICATE_KEY = "duplicate_key"
    VALIDATION_ERROR = "validation_error"
    AUTH_ERROR = "auth_error"
    RETRY_EXHAUSTED = "retry_exhausted"


class Strategy(StrEnum):
    AUTO_RETRY = "auto_retry"
    MANUAL = "manual"
    SKIP = "skip"


class ConflictStatus(StrEnum):
    OPEN = "open"  # waiting for review
    RETRYING = "retrying"  # a retry is scheduled (next_retry_at) or under way
    RESOLVED = "resolved"
    SKIPPED = "skipped"


OPEN_STATUSES = frozenset({ConflictStatus.OPEN, ConflictStatus.RETRYING})
CLOSED_STATUSES = frozenset({ConflictStatus.RESOLVED, ConflictStatus.SKIPPED})


class Resolution(StrEnum):
    KEEP_HUB = "keep_hub"  # the hub's version wins: the disagreeing system is set to it
    TAKE_SOURCE = "take_source"  # the operation's source version is applied to its target
    TAKE_TARGET = "take_target"  # the target's version is applied back to the source side
    EDIT = "edit"  # the source version with edited values is applied to the target
    LINK = "link"  # link to the target's existing record (duplicate key) and update it
    SKIP = "skip"  # nothing is applied
    RETRY = "retry"  # the recorded operation is applied again, unchanged


def classify(error: SyncError) -> ConflictType:
    """The conflict type an error becomes (see the module docstring)."""
    if isinstance(error, AuthError | PermissionDeniedError | ConfigError):
        return ConflictType.AUTH_ERROR
    if isinstance(error, DuplicateKeyError):
        return ConflictType.DUPLICATE_KEY
    if error.retryable:
        return ConflictType.RETRY_EXHAUSTED
    return ConflictType.VALIDATION_ERROR


def stops_system(conflict_type: ConflictType) -> bool:
    """Whether a conflict of this type means: make no more calls to that system in this run."""
    return conflict_type is ConflictType.AUTH_ERROR


# -- retry ---------------------------------------------------------------------------------------------------

BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 16.0
_MAX_EXPONENT = 62  # 2**62 seconds exceeds any cap; keeps the float math finite


def backoff_ceiling(attempt: int, *, base_s: float = BACKOFF_BASE_S, cap_s: float = BACKOFF_CAP_S) -> float:
    """The largest delay before retry ``attempt`` (0 for the first retry): ``min(cap, base * 2**n)``."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    return min(cap_s, base_s * 2.0 ** min(attempt, _MAX_EXPONENT))


def backoff_delay(
    attempt: int,
    *,
    base_s: float = BACKOFF_BASE_S,
    cap_s: float = BACKOFF_CAP_S,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first): full jitter, uniform in
    ``[0, min(cap, base * 2**attempt)]``; never less than the server's ``Retry-After`` when it sent one."""
    delay = rng.uniform(0.0, backoff_ceiling(attempt, base_s=base_s, cap_s=cap_s))
    if retry_after is not None and retry_after > delay:
        return float(retry_after)
    return delay


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Try again after ``delay_s``, or stop: then ``conflict_type`` is what the item is recorded as."""

    retry: bool
    delay_s: float
    conflict_type: ConflictType | None


def decide_retry(
    error: SyncError,
    attempt: int,
    max_retries: int,
    rng: random.Random,
    strategy: Strategy,
    *,
    base_s: float = BACKOFF_BASE_S,
    cap_s: float = BACKOFF_CAP_S,
) -> RetryDecision:
    """Whether an item that just failed with ``error`` is tried again.

    ``attempt`` is the number of retries made so far (0 after the first failure); ``strategy`` is the one for
    ``classify(error)`` (``strategy_for``). A retry waits ``backoff_delay(attempt)``. A transient error
    whose retries are spent becomes ``retry_exhausted``; a permanent one keeps its own type.
    """
    conflict_type = classify(error)
    retryable = error.retryable or strategy is Strategy.AUTO_RETRY
    if conflict_type is not ConflictType.AUTH_ERROR and retryable and attempt < max_retries:
        delay = backoff_delay(attempt, base_s=base_s, cap_s=cap_s, rng=rng, retry_after=error.retry_after)
        return RetryDecision(retry=True, delay_s=delay, conflict_type=None)
    return RetryDecision(retry=False, delay_s=0.0, conflict_type=conflict_type)


def status_for(strategy: Strategy) -> ConflictStatus:
    """The status a conflict is recorded with once no retry is left: skipped, or open for review."""
    return ConflictStatus.SKIPPED if strategy is Strategy.SKIP else ConflictStatus.OPEN


# -- strategies ----------------------------------------------------------------------------------------------

ANY_ENTITY = "*"

# Every type but retry_exhausted needs a human by default: a mismatch, a duplicate or refused values are
# business decisions, and an auth error needs new credentials. Transient failures are retried.
DEFAULT_STRATEGIES: Mapping[ConflictType, Strategy] = {
    ConflictType.DATA_MISMATCH: Strategy.MANUAL,
    ConflictType.DUPLICATE_KEY: Strategy.MANUAL,
    ConflictType.VALIDATION_ERROR: Strategy.MANUAL,
    ConflictType.AUTH_ERROR: Strategy.MANUAL,
    ConflictType.RETRY_EXHAUSTED: Strategy.AUTO_RETRY,
}

# (entity or "*", conflict type) -> strategy: an organization's overrides.
StrategyOverrides = Mapping[tuple[str, ConflictType], Strategy]


def strategy_for(overrides: StrategyOverrides, entity: EntityType | str, conflict_type: ConflictType) -> Strategy:
    """The entity's own override, else the organization's override for any entity, else the default."""
    found = overrides.get((str(entity), conflict_type))
    if found is None:
        found = overrides.get((ANY_ENTITY, conflict_type))
    return found if found is not None else DEFAULT_STRATEGIES[conflict_type]


# -- field policies ------------------------------------------------------------------------------------------


class PolicySource(StrEnum):
    """Which side is the source of truth for a field when both sides changed it."""

    WOOCOMMERCE = "woocommerce"
    ODOO = "odoo"
    HUB = "hub"
    NEWEST = "newest"  # the later ``modified_at`` wins


@dataclass(frozen=True, slots=True)
class FieldPolicy:
    entity: EntityType
    field: str
    source: PolicySource


# (entity, comparable field) -> source of truth.
FieldPolicies = Mapping[tuple[EntityType, str], PolicySource]

_W, _O = PolicySource.WOOCOMMERCE, PolicySource.ODOO
# Odoo runs the warehouse and the price list; the shop is where customers keep their own details and where
# orders are placed and moved along. Everything else (names, SKUs, order lines, payments) has no default:
# a disagreement there is a conflict for a human.
DEFAULT_FIELD_POLICIES: FieldPolicies = {
    (EntityType.INVENTORY, "quantity"): _O,
    (EntityType.PRODUCTS, "regular_price"): _O,
    (EntityType.PRODUCTS, "variants"): _O,  # variant prices live there
    (EntityType.CUSTOMERS, "email"): _W,
    (EntityType.CUSTOMERS, "name"): _W,
    (EntityType.CUSTOMERS, "phone"): _W,
    (EntityType.CUSTOMERS, "billing"): _W,
    (EntityType.CUSTOMERS, "shipping"): _W,
    (EntityType.ORDERS, "status"): _W,
}


def comparable_field_names(entity: EntityType | str) -> tuple[str, ...]:
    return RECORD_TYPES[EntityType(entity)].COMPARABLE


def effective_policies(overrides: FieldPolicies) -> dict[tuple[EntityType, str], PolicySource]:
    """The defaults with an organization's overrides on top."""
    return {**DEFAULT_FIELD_POLICIES, **overrides}


class Side(StrEnum):
    HUB = "hub"
    INCOMING = "incoming"


@dataclass(frozen=True, slots=True)
class Settlement:
    """How each differing field was settled; ``merged`` is ``None`` when some field is ``unsettled``."""

    merged: Record | None
    settled: Mapping[str, Side]
    unsettled: tuple[str, ...]


def _winner(
    source: PolicySource | None,
    *,
    incoming_system: System,
    other_system: System,
    hub_modified_at: datetime | None,
    incoming_modified_at: datetime | None,
) -> Side | None:
    if source is None:
        return None
    if source is PolicySource.NEWEST:
        if hub_modified_at is None or incoming_modified_at is None:
            return None
        # A tie keeps the hub: no write is better than a coin toss.
        return Side.INCOMING if incoming_modified_at > hub_modified_at else Side.HUB
    if source.value == incoming_system.value:
        return Side.INCOMING
    if source is PolicySource.HUB or source.value == other_system.value:
        return Side.HUB
    return None  # the policy names a third system, whose version is not among these two


def settle_fields(
    hub: Record,
    incoming: Record,
    *,
    incoming_system: System,
    other_system: System,
    policies: FieldPolicies,
    hub_modified_at: datetime | None = None,
    incoming_modified_at: datetime | None = None,
) -> Settlement:
    """Settle each comparable field where ``incoming`` (read from ``incoming_system``) differs from the hub.

    The hub's version stands for ``other_system`` (the system it was last synced with). The merged record is
    ``incoming`` with the fields the hub wins copied from the hub, and the hub's id.
    """
    if type(hub) is not type(incoming):
        raise TypeError(f"cannot settle a {type(hub).__name__} against a {type(incoming).__name__}")
    entity = incoming.ENTITY
    settled: dict[str, Side] = {}
    unsettled: list[str] = []
    for name in diff_fields(hub, incoming):
        side = _winner(
            policies.get((entity, name)),
            incoming_system=incoming_system,
            other_system=other_system,
            hub_modified_at=hub_modified_at,
            incoming_modified_at=incoming_modified_at,
        )
        if side is None:
            unsettled.append(name)
        else:
            settled[name] = side
    if unsettled:
        return Settlement(merged=None, settled=settled, unsettled=tuple(unsettled))
    changes: dict[str, Any] = {name: getattr(hub, name) for name, side in settled.items() if side is Side.HUB}
    if incoming.hub_id is None and hub.hub_id is not None:
        changes["hub_id"] = hub.hub_id
    merged: Record = dataclasses.replace(incoming, **changes)
    return Settlement(merged=merged, settled=settled, unsettled=())


def settle_mismatch(
    hub: Record,
    incoming: Record,
    *,
    incoming_system: System,
    other_system: System,
    policies: FieldPolicies,
    hub_modified_at: datetime | None,
    incoming_modified_at: datetime | None,
) -> Record | None:
    """The merged record when a policy settles EVERY differing comparable field, else ``None`` (a
    data_mismatch conflict). Equal records settle trivially (``incoming`` with the hub id)."""
    return settle_fields(
        hub,
        incoming,
        incoming_system=incoming_system,
        other_system=other_system,
        policies=policies,
        hub_modified_at=hub_modified_at,
        incoming_modified_at=incoming_modified_at,
    ).merged
