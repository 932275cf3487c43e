"""The pure conflict rules: classification, backoff, the retry decision, strategies."""

from __future__ import annotations

import random

import pytest

from syncbridge.domain.conflicts import (
    ANY_ENTITY,
    DEFAULT_STRATEGIES,
    ConflictStatus,
    ConflictType,
    RetryDecision,
    Strategy,
    backoff_ceiling,
    backoff_delay,
    classify,
    decide_retry,
    status_for,
    stops_system,
    strategy_for,
)
from syncbridge.domain.records import EntityType
from syncbridge.errors import (
    AuthError,
    ConcurrencyLimitError,
    ConfigError,
    DuplicateKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SyncError,
    TransientError,
    ValidationError,
)

CT = ConflictType


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AuthError("401"), CT.AUTH_ERROR),
        (PermissionDeniedError("403"), CT.AUTH_ERROR),
        (ConfigError("no connection"), CT.AUTH_ERROR),
        (ValidationError("400"), CT.VALIDATION_ERROR),
        (NotFoundError("gone on update"), CT.VALIDATION_ERROR),
        (ConcurrencyLimitError("busy"), CT.VALIDATION_ERROR),
        (SyncError("unknown"), CT.VALIDATION_ERROR),
        (DuplicateKeyError("sku exists"), CT.DUPLICATE_KEY),
        (TransientError("503"), CT.RETRY_EXHAUSTED),
        (RateLimitedError("429", retry_after=3), CT.RETRY_EXHAUSTED),
    ],
)
def test_classify(error: SyncError, expected: ConflictType) -> None:
    assert classify(error) is expected


@pytest.mark.parametrize(("conflict_type", "stops"), [(t, t is CT.AUTH_ERROR) for t in CT])
def test_only_auth_errors_stop_the_system(conflict_type: ConflictType, stops: bool) -> None:
    assert stops_system(conflict_type) is stops


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 16.0), (10, 16.0), (1000, 16.0)],
)
def test_backoff_ceiling_doubles_from_one_second_to_sixteen(attempt: int, ceiling: float) -> None:
    assert backoff_ceiling(attempt) == ceiling


@pytest.mark.parametrize("seed", range(5))
def test_backoff_sequence_stays_within_full_jitter_bounds(seed: int) -> None:
    rng = random.Random(seed)
    delays = [backoff_delay(n, rng=rng) for n in range(12) for _ in range(50)]
    for index, delay in enumerate(delays):
        n = index // 50
        assert 0.0 <= delay <= min(16.0, 1.0 * 2**n)
    # Full jitter spreads over the whole range, not only near the ceiling.
    assert min(delays[4 * 50 :]) < 4.0 < max(delays[4 * 50 :])


@pytest.mark.parametrize(
    ("attempt", "retry_after", "at_least", "at_most"),
    [
        (0, 5.0, 5.0, 5.0),  # Retry-After above the ceiling wins outright
        (0, 30.0, 30.0, 30.0),  # even above the cap: the server knows best
        (4, 0.0, 0.0, 16.0),
        (4, 2.5, 2.5, 16.0),  # below the ceiling: jitter, but never under Retry-After
        (2, None, 0.0, 4.0),
    ],
)
def test_backoff_honours_retry_after(attempt: int, retry_after: float | None, at_least: float, at_most: float) -> None:
    rng = random.Random(7)
    for _ in range(200):
        delay = backoff_delay(attempt, rng=rng, retry_after=retry_after)
        assert at_least <= delay <= at_most


def test_backoff_rejects_a_negative_attempt() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(-1, rng=random.Random(1))


A, M, S = Strategy.AUTO_RETRY, Strategy.MANUAL, Strategy.SKIP


@pytest.mark.parametrize(
    ("error", "attempt", "max_retries", "strategy", "retry", "conflict_type"),
    [
        # transient errors are retried until the budget is spent, whatever the strategy
        (TransientError("503"), 0, 5, A, True, None),
        (TransientError("503"), 4, 5, A, True, None),
        (TransientError("503"), 5, 5, A, False, CT.RETRY_EXHAUSTED),
        (TransientError("503"), 0, 0, A, False, CT.RETRY_EXHAUSTED),
        (TransientError("503"), 1, 3, M, True, None),
        (TransientError("503"), 3, 3, M, False, CT.RETRY_EXHAUSTED),
        (RateLimitedError("429", retry_after=2), 0, 1, A, True, None),
        # permanent errors: only auto_retry retries them, and a spent one keeps its own type
        (ValidationError("400"), 0, 5, M, False, CT.VALIDATION_ERROR),
        (ValidationError("400"), 0, 5, S, False, CT.VALIDATION_ERROR),
        (ValidationError("400"), 0, 5, A, True, None),
        (ValidationError("400"), 5, 5, A, False, CT.VALIDATION_ERROR),
        (DuplicateKeyError("dup"), 0, 5, M, False, CT.DUPLICATE_KEY),
        (DuplicateKeyError("dup"), 2, 5, A, True, None),
        (NotFoundError("404"), 0, 5, M, False, CT.VALIDATION_ERROR),
        # auth errors are never retried within a run
        (AuthError("401"), 0, 5, A, False, CT.AUTH_ERROR),
        (PermissionDeniedError("403"), 0, 5, M, False, CT.AUTH_ERROR),
    ],
)
def test_decide_retry(
    error: SyncError,
    attempt: int,
    max_retries: int,
    strategy: Strategy,
    retry: bool,
    conflict_type: ConflictType | None,
) -> None:
    decision = decide_retry(error, attempt, max_retries, random.Random(3), strategy)
    assert decision.retry is retry
    assert decision.conflict_type is conflict_type
    if retry:
        assert 0.0 <= decision.delay_s <= max(min(16.0, 2.0**attempt), error.retry_after or 0.0)
        if error.retry_after is not None:
            assert decision.delay_s >= error.retry_after
    else:
        assert decision.delay_s == 0.0


def test_decide_retry_delays_follow_the_backoff_of_the_same_rng() -> None:
    error = TransientError("503")
    decisions = [decide_retry(error, n, 10, random.Random(n), A) for n in range(10)]
    expected = [backoff_delay(n, rng=random.Random(n)) for n in range(10)]
    assert decisions == [RetryDecision(True, d, None) for d in expected]


@pytest.mark.parametrize(
    ("strategy", "status"),
    [(A, ConflictStatus.OPEN), (M, ConflictStatus.OPEN), (S, ConflictStatus.SKIPPED)],
)
def test_status_for(strategy: Strategy, status: ConflictStatus) -> None:
    assert status_for(strategy) is status


def test_defaults_cover_every_type_and_retry_only_transient_failures() -> None:
    assert set(DEFAULT_STRATEGIES) == set(CT)
    assert [t for t, s in DEFAULT_STRATEGIES.items() if s is A] == [CT.RETRY_EXHAUSTED]


P, C = EntityType.PRODUCTS, EntityType.CUSTOMERS


@pytest.mark.parametrize(
    ("overrides", "entity", "conflict_type", "expected"),
    [
        ({}, P, CT.DATA_MISMATCH, M),
        ({}, P, CT.RETRY_EXHAUSTED, A),
        ({("products", CT.DATA_MISMATCH): S}, P, CT.DATA_MISMATCH, S),
        ({("products", CT.DATA_MISMATCH): S}, C, CT.DATA_MISMATCH, M),  # another entity: default
        ({("products", CT.DATA_MISMATCH): S}, P, CT.DUPLICATE_KEY, M),  # another type: default
        ({(ANY_ENTITY, CT.VALIDATION_ERROR): A}, C, CT.VALIDATION_ERROR, A),
        (
            {(ANY_ENTITY, CT.VALIDATION_ERROR): A, ("customers", CT.VALIDATION_ERROR): S},
            C,
            CT.VALIDATION_ERROR,
            S,
        ),
        (
            {(ANY_ENTITY, CT.VALIDATION_ERROR): A, ("customers", CT.VALIDATION_ERROR): S},
            P,
            CT.VALIDATION_ERROR,
            A,
        ),
        ({(ANY_ENTITY, CT.RETRY_EXHAUSTED): M}, "orders", CT.RETRY_EXHAUSTED, M),
    ],
)
def test_strategy_for(
    overrides: dict[tuple[str, ConflictType], Strategy],
    entity: EntityType | str,
    conflict_type: ConflictType,
    expected: Strategy,
) -> None:
    assert strategy_for(overrides, entity, conflict_type) is expected
