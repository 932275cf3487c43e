"""`syncbridge conflicts list|show|resolve|stats` on a real SQLite store, writing to the WooCommerce simulator
through the organization's stored connection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from syncbridge.cli import common
from syncbridge.cli.conflicts import parse_assignments
from syncbridge.cli.main import app
from syncbridge.connectors.base import Operation, OpKind
from syncbridge.connectors.woocommerce.connector import WooCommerceConnector
from syncbridge.domain.conflicts import ConflictType, Strategy
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.plan import PlannedOp, idempotency_key
from syncbridge.domain.records import EntityType, Product, System
from syncbridge.errors import ValidationError
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce.sim import WooCommerceSim
from syncbridge.store import conflicts as repo
from syncbridge.store import connections, hub_records, migrate, orgs
from syncbridge.store.crypto import CredentialCipher
from syncbridge.store.db import make_engine
from syncbridge.store.session import transaction

KEY = Fernet.generate_key().decode()


@dataclass
class Cli:
    runner: CliRunner
    sim: WooCommerceSim
    conflict_id: str
    wc_id: str

    def run(self, *args: str) -> tuple[int, str]:
        result = self.runner.invoke(app, ["conflicts", *args])
        return result.exit_code, result.output


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    monkeypatch.setenv("SYNCBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("SYNCBRIDGE_SECRET_KEY", KEY)
    monkeypatch.setenv("SYNCBRIDGE_CONFIG_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setattr(common, "_services", [])
    migrate.upgrade(url)
    engine = make_engine(url)
    sim = WooCommerceSim()
    with SimServer(sim.app) as server:
        shop = WooCommerceConnector(server.url, sim.consumer_key, sim.consumer_secret)
        record = Product(sku="CLI-1", name="Shop name", regular_price=Decimal("5"))
        [made] = shop.apply(EntityType.PRODUCTS, [Operation("seed", OpKind.CREATE, EntityType.PRODUCTS, record)])
        shop.close()
        assert made.external_id is not None
        with transaction(engine) as conn:
            org = orgs.create_org(conn, "acme").id
            connections.add_connection(
                conn,
                org,
                system="woocommerce",
                name="default",
                base_url=server.url,
                secrets={"consumer_key": sim.consumer_key, "consumer_secret": sim.consumer_secret},
                cipher=CredentialCipher([KEY]),
            )
            hub_version = Product(sku="CLI-1", name="Hub name", regular_price=Decimal("6"))
            hub_id = hub_records.upsert_record(conn, org, hub_version)
            op = PlannedOp(
                key=idempotency_key(
                    org, System.WOOCOMMERCE, EntityType.PRODUCTS, hub_id, OpKind.UPDATE, fingerprint_of(hub_version)
                ),
                kind=OpKind.UPDATE,
                entity=EntityType.PRODUCTS,
                source_system=System.HUB,
                target_system=System.WOOCOMMERCE,
                natural_key="CLI-1",
                record=hub_version,
                hub_id=hub_id,
                source_id=hub_id,
                target_id=made.external_id,
            )
            draft = repo.ConflictDraft.for_operation(
                op, ConflictType.DATA_MISMATCH, Strategy.MANUAL, target_version=record, run_id="run-7"
            )
            conflict_id = repo.record_conflict(conn, org, draft)
        yield Cli(CliRunner(), sim, conflict_id, made.external_id)
        for svc in common._services:
            svc.close()
    sim.close()
    engine.dispose()


def test_list_show_resolve_stats(cli: Cli) -> None:
    code, out = cli.run("list", "--json")
    assert code == 0, out
    listed = orjson.loads(out)
    assert [i["id"] for i in listed["items"]] == [cli.conflict_id]

    code, out = cli.run("list", "--org", "acme", "--run", "run-7", "--type", "data_mismatch", "--status", "open")
    assert code == 0 and cli.conflict_id in out

    code, out = cli.run("list", "--type", "nonsense")
    assert code == 1 and "unknown conflict type" in out

    code, out = cli.run("show", cli.conflict_id)
    assert code == 0, out
    assert "≠ name" in out and "Shop name" in out and "Hub name" in out and "≠ regular_price" in out
    assert "keep-hub" in out

    code, out = cli.run("resolve", cli.conflict_id, "--action", "keep-hub", "--by", "ann", "--json")
    assert code == 0, out
    result = orjson.loads(out)
    assert result["ok"] is True and result["conflict"]["resolvedBy"] == "ann"
    assert cli.sim.products[int(cli.wc_id)].name == "Hub name"

    code, out = cli.run("resolve", cli.conflict_id, "--action", "skip")
    assert code == 1 and "resolved already" in out

    code, out = cli.run("stats", "--json")
    assert code == 0, out
    stats = orjson.loads(out)
    assert stats["byStatus"] == {"resolved": 1} and stats["byRun"] == {"run-7": 1}
    code, out = cli.run("stats")
    assert code == 0 and "mean time to resolution" in out

    code, out = cli.run("show", "nope", "--org", "acme")
    assert code == 1 and "no conflict" in out


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], {}),
        (["name=Mug"], {"name": "Mug"}),
        (["billing.city=Paris", "note=a=b"], {"billing.city": "Paris", "note": "a=b"}),
        (["active="], {"active": ""}),
    ],
)
def test_parse_assignments(items: list[str], expected: dict[str, str]) -> None:
    assert parse_assignments(items) == expected


@pytest.mark.parametrize("item", ["name", "=x", " =x"])
def test_parse_assignments_refuses_malformed(item: str) -> None:
    with pytest.raises(ValidationError):
        parse_assignments([item])
