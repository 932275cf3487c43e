"""The Odoo change feed against the Odoo simulator: baseline, quiet polls, a change -> an incremental run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apikit import Stack, StackFactory

from syncbridge.domain.records import EntityType
from syncbridge.services.changefeed import FEED_SYSTEM, OdooChangeFeed, _Memory, changed_ids, chunks
from syncbridge.sim.seed import generate
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store.connections import add_connection
from syncbridge.store.crypto import cipher_from_settings
from syncbridge.store.cursors import get_cursor
from syncbridge.store.session import transaction

SEED = generate(customers=4, products=3, orders=2, seed=5)


@pytest.fixture
def sims() -> Iterator[SimStack]:
    with start_sims(odoo_data=SEED) as stack:
        yield stack


def feed_for(stack: Stack, entities: tuple[EntityType, ...] = (EntityType.CUSTOMERS,)) -> OdooChangeFeed:
    s = stack.services
    return OdooChangeFeed(
        s.engine, connector_for=s.connector_for, preview=s.preview, orchestration=s.orchestration, entities=entities
    )


def test_baseline_then_changes_become_incremental_runs(stack_factory: StackFactory, sims: SimStack) -> None:
    stack = stack_factory()
    org_id = connect_org(stack.services.engine, stack.services.settings, sims, name="feed-org")
    feed = feed_for(stack)
    assert feed.orgs_with_odoo() == [org_id]  # orgs A and B have no Odoo connection

    (first,) = feed.poll_once()
    assert (first.baseline, first.changed, first.error) == (True, 0, None)
    with transaction(stack.services.engine) as conn:
        assert get_cursor(conn, org_id, FEED_SYSTEM, "customers") is not None
    assert stack.services.orchestration.list_runs(org_id) == []

    (quiet,) = feed.poll_once()
    assert (quiet.baseline, quiet.changed) == (False, 0)

    email = next(c.email for c in SEED.customers)
    ids = sims.odoo.call("res.partner", "search", [("email", "=", email)])
    assert ids
    sims.odoo.call("res.partner", "write", ids, {"phone": "+1 555 0100"})
    (changed,) = feed.poll_once()
    assert changed.changed == len(ids)
    (run,) = stack.services.orchestration.list_runs(org_id)
    assert run["systems"] == ["odoo"] and run["entities"] == ["customers"]

    (after,) = feed.poll_once()
    assert after.changed == 0


def test_an_unreachable_odoo_is_reported_not_raised(stack_factory: StackFactory) -> None:
    stack = stack_factory(http_timeout_s=2)
    with transaction(stack.services.engine) as conn:
        add_connection(
            conn,
            stack.a.id,
            system="odoo",
            name="down",
            base_url="http://127.0.0.1:9",
            database="db",
            login="admin",
            protocol="jsonrpc",
            secrets={"api_key": "k" * 20},
            cipher=cipher_from_settings(stack.services.settings),
        )
    (result,) = feed_for(stack).poll_once()
    assert result.org_id == stack.a.id and result.error and result.changed == 0


@pytest.mark.parametrize(
    ("ids", "size", "expected"),
    [([], 2, []), (["1"], 2, [["1"]]), (["1", "2", "3"], 2, [["1", "2"], ["3"]]), (["1", "2"], 2, [["1", "2"]])],
)
def test_chunks(ids: list[str], size: int, expected: list[list[str]]) -> None:
    assert chunks(ids, size) == expected


@pytest.mark.parametrize(
    ("current", "synced", "reported", "expected"),
    [
        ({"1": "a"}, {}, {}, ["1"]),  # never synced, never reported
        ({"1": "a"}, {"1": "a"}, {}, []),  # as last synced
        ({"1": "a"}, {"1": None}, {}, ["1"]),  # linked without a fingerprint
        ({"1": "b"}, {"1": "a"}, {}, ["1"]),  # changed since the sync
        ({"1": "b"}, {"1": "a"}, {"1": "b"}, []),  # already reported, not yet synced
        ({"1": "c"}, {"1": "a"}, {"1": "b"}, ["1"]),  # changed again
        ({"1": "a", "2": "x"}, {"1": "a"}, {"2": "y"}, ["2"]),
    ],
)
def test_changed_ids(
    current: dict[str, str], synced: dict[str, str | None], reported: dict[str, str], expected: list[str]
) -> None:
    assert changed_ids(current, synced, reported) == expected


def test_memory_keeps_the_most_recent_ids() -> None:
    memory = _Memory(capacity=2)
    memory.remember("o", EntityType.CUSTOMERS, {"1": "a", "2": "b"})
    memory.remember("o", EntityType.CUSTOMERS, {"1": "a2", "3": "c"})
    assert dict(memory.of("o", EntityType.CUSTOMERS)) == {"1": "a2", "3": "c"}
    assert dict(memory.of("o", EntityType.PRODUCTS)) == {}
