"""Two records of one system with one natural key (the same e-mail in another case): whichever batch runs first,
the record the planner matched keeps the hub record and the other is a DuplicateKey conflict, never a silent
takeover."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncbridge.domain.delta import Change, ChangeKind
from syncbridge.domain.plan import plan_op
from syncbridge.domain.records import Customer, EntityType, System
from syncbridge.engine.executor import book, execute_on_hub
from syncbridge.store import hub_records, links
from syncbridge.store.session import transaction
from tests.integration.harness import engine_for

EMAIL = "twin@example.com"


def _op(org: str, source_id: str, name: str, target: str | None):  # type: ignore[no-untyped-def]
    record = Customer(email=EMAIL, name=name, external_id=source_id)
    change = Change(ChangeKind.NEW, source_id, target, EMAIL, None, None, target is not None)
    return plan_op(
        org,
        change,
        entity=EntityType.CUSTOMERS,
        source_system=System.ODOO,
        target_system=System.HUB,
        record=record,
        hub_id=target,
    )


@pytest.mark.parametrize("order", ["matched-first", "unmatched-first"])
def test_an_unmatched_create_never_takes_over_the_hub_record_another_op_was_matched_to(
    db_url: str, tmp_path: Path, order: str
) -> None:
    with engine_for(db_url, tmp_path) as env:
        org = env.org("twins")
        with transaction(env.engine) as conn:  # the hub record, from the shop (not linked to Odoo yet)
            result = _execute(
                conn,
                org,
                [
                    plan_op(
                        org,
                        Change(ChangeKind.NEW, "7", None, EMAIL, None, None),
                        entity=EntityType.CUSTOMERS,
                        source_system=System.WOOCOMMERCE,
                        target_system=System.HUB,
                        record=Customer(email=EMAIL, name="Shop", external_id="7"),
                        hub_id=None,
                    )
                ],
            )
        assert all(o.ok for o in result.outcomes)
        hub_id = _hub_id(env, org)
        matched = _op(org, "5", "Shop", hub_id)  # the delta matched Odoo contact 5 to it by e-mail
        twin = _op(org, "209", "Twin", None)  # contact 209, the same e-mail in upper case: no match left
        batches = [[matched], [twin]] if order == "matched-first" else [[twin], [matched]]
        outcomes = {}
        for batch in batches:  # separate batches, as two workers may run them in either order
            with transaction(env.engine) as conn:
                for outcome in _execute(conn, org, batch).outcomes:
                    outcomes[outcome.op.source_id] = outcome
        assert outcomes["5"].ok, outcomes["5"].error
        assert not outcomes["209"].ok
        assert outcomes["209"].error is not None and outcomes["209"].error.code == "duplicate_natural_key"
        with transaction(env.engine) as conn:
            link = links.get_link_by_hub(conn, org, "customers", "odoo", hub_id)
            record = hub_records.find_by_natural_keys(conn, org, EntityType.CUSTOMERS, [EMAIL])[EMAIL]
        assert link is not None and link.external_id == "5"
        assert record.name == "Shop"


def _execute(conn, org: str, ops):  # type: ignore[no-untyped-def]
    """What a worker does with a hub batch: execute, then book links, idempotency marks and conflicts."""
    result = execute_on_hub(conn, org, ops, run_id=None)
    book(conn, org, result, run_id=None, batch_id=None)
    return result


def _hub_id(env, org: str) -> str:  # type: ignore[no-untyped-def]
    with transaction(env.engine) as conn:
        record = hub_records.find_by_natural_keys(conn, org, EntityType.CUSTOMERS, [EMAIL])[EMAIL]
    assert record.hub_id is not None
    return record.hub_id
