"""`syncbridge preview` against the WooCommerce simulator: the counts table, and --json as the API serves it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from syncbridge.cli.main import app
from syncbridge.config import load_settings
from syncbridge.connectors.factory import make_connector_factory
from syncbridge.services.preview import PreviewService
from syncbridge.sim.seed import generate
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store.bootstrap import open_store


@pytest.fixture
def stack() -> Iterator[SimStack]:
    with start_sims(woo_data=generate(customers=7, products=2, orders=1, seed=4)) as s:
        yield s


def test_preview_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stack: SimStack) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("SYNCBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SYNCBRIDGE_SECRET_KEY_FILE", str(tmp_path / "secret"))
    settings = load_settings()
    engine = open_store(settings)
    try:
        org = connect_org(engine, settings, stack, name="Acme")
        expected = PreviewService(engine, connector_for=make_connector_factory(engine, settings)).preview(
            org, "woocommerce", "customers", page=2, page_size=3
        )
    finally:
        engine.dispose()
    customers = len(stack.woo.customers)
    cli = CliRunner()
    args = ["preview", "--org", "Acme", "--system", "woocommerce", "--entity", "customers"]

    table = cli.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "customers · woocommerce · inbound" in table.stdout
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.stdout.splitlines()]
    assert [r for r in rows if r] == [
        ["new", str(customers), str(math.ceil(customers / 50))],
        ["updated", "0", "0"],
        ["deleted", "0", "0"],
        ["conflicts", "0", "0"],
    ]
    assert "from the cache" in table.stdout  # served from the preview computed above

    cached = cli.invoke(app, [*args, "--json", "--page", "2", "--page-size", "3"])
    assert cached.exit_code == 0, cached.output
    assert orjson.loads(cached.stdout) == {**expected, "cacheHit": True}

    fresh = orjson.loads(cli.invoke(app, [*args, "--json", "--refresh", "--direction", "outbound"]).stdout)
    assert (fresh["cacheHit"], fresh["direction"], fresh["delta"]["new"]["count"]) == (False, "outbound", 0)

    missing = cli.invoke(app, ["preview", "--org", "Nobody", "--system", "odoo", "--entity", "orders"])
    assert missing.exit_code == 1
    assert "no organization 'Nobody'" in missing.stderr
