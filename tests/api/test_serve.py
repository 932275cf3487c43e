"""``syncbridge serve`` as a real process: a run started over HTTP completes with nothing else running (the
in-process workers do it), and a change made in Odoo is picked up by the change feed without a manual start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from syncbridge.config import Settings
from syncbridge.services.changefeed import FEED_SYSTEM
from syncbridge.sim.seed import generate
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store.bootstrap import open_store
from syncbridge.store.crypto import generate_key
from syncbridge.store.orgs import create_api_key
from syncbridge.store.session import transaction
from syncbridge.store.tables import hub_customer, sync_cursor

API = "/api/v1/integrations"
WOO_SEED = generate(customers=3, products=2, orders=1, seed=9)
ODOO_SEED = generate(customers=2, products=2, orders=1, seed=10)
NEW_PHONE = "+1 555 0199"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def sims() -> Iterator[SimStack]:
    with start_sims(woo_data=WOO_SEED, odoo_data=ODOO_SEED) as stack:
        yield stack


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("serve did not come up")


def wait_for_feed_baseline(db: Path, org_id: str) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                n = conn.execute(
                    sa.select(sa.func.count()).where(
                        sync_cursor.c.org_id == org_id, sync_cursor.c.system == FEED_SYSTEM
                    )
                ).scalar_one()
            if n:
                return
            time.sleep(0.1)
        raise AssertionError("the change feed never polled")
    finally:
        engine.dispose()


def hub_phone_becomes(db: Path, org_id: str, email: str, phone: str) -> bool:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                data = conn.execute(
                    sa.select(hub_customer.c.data).where(
                        hub_customer.c.org_id == org_id, hub_customer.c.email == email.lower()
                    )
                ).scalar_one_or_none()
            if data is not None and data.get("phone") == phone:
                return True
            time.sleep(0.2)
        return False
    finally:
        engine.dispose()


def test_serve_runs_the_api_and_workers(tmp_path: Path, sims: SimStack) -> None:
    env = {
        **os.environ,
        "SYNCBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "SYNCBRIDGE_SECRET_KEY": generate_key(),
        "SYNCBRIDGE_API_RATE_LIMIT_PER_MINUTE": "10000",
        "SYNCBRIDGE_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    env.pop("SYNCBRIDGE_REDIS_URL", None)
    settings = Settings(
        database_url=env["SYNCBRIDGE_DATABASE_URL"], secret_key=env["SYNCBRIDGE_SECRET_KEY"], redis_url=None
    )
    engine = open_store(settings)
    org_id = connect_org(engine, settings, sims)
    with transaction(engine) as conn:
        _, key = create_api_key(conn, org_id)
    engine.dispose()

    port = free_port()
    command = [str(Path(sys.executable).parent / "syncbridge"), "serve", "--port", str(port), "--poll-odoo-s", "0.3"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        headers = {"X-Api-Key": key}
        body = {"action": "start", "systems": ["woocommerce", "odoo"], "entityTypes": ["customers"]}
        started = httpx.post(f"{base}{API}/sync/orchestrate", json=body, headers=headers, timeout=30)
        assert started.status_code == 201, started.text
        run_id = started.json()["data"]["runId"]
        status = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status not in {"completed", "failed", "cancelled"}:
            time.sleep(0.2)
            view = httpx.get(f"{base}{API}/sync/runs/{run_id}", headers=headers, timeout=30).json()["data"]
            status = view["status"]
        assert status == "completed", view
        assert view["progress"]["processed"] > 0

        # A change in Odoo reaches the hub with no manual start: the change feed queues an incremental run.
        wait_for_feed_baseline(Path(tmp_path / "hub.db"), org_id)
        partner = sims.odoo.call("res.partner", "search", [("email", "=", ODOO_SEED.customers[0].email)])[0]
        sims.odoo.call("res.partner", "write", [partner], {"phone": NEW_PHONE})
        assert hub_phone_becomes(tmp_path / "hub.db", org_id, ODOO_SEED.customers[0].email, NEW_PHONE)
        runs = httpx.get(f"{base}{API}/sync/runs", headers=headers, timeout=30).json()["data"]
        assert any(r["systems"] == ["odoo"] and r["entities"] == ["customers"] for r in runs)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            assert process.stderr is not None
            process.stderr.close()
