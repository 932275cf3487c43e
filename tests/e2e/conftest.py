"""Browser tests: Debian's headless Chromium, driven by Playwright, against the web UI served over real HTTP.

Chromium is ``/usr/bin/chromium`` (never ``playwright install``). Without it the tests skip, saying why; with
``CI=true`` they fail instead. Each test writes its screenshots to ``test-output/<test name>/``.

The UI is served with the REST API it calls: ``ui_stack`` is the whole syncbridge stack (SQLite hub, both
simulators seeded, an organization with an API key and two connections, background workers).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from syncbridge.connectors.base import Operation, OpKind
from syncbridge.domain.records import EntityType, System

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REPO = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (install Debian's chromium package: scripts/setup.sh --test)"
        if IN_CI:
            pytest.fail(f"{message}: CI=true requires it", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    path = REPO / "test-output" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Browsing:
    """A browser tab on the UI, with the page errors it met (a JavaScript error fails the test)."""

    page: Any
    base_url: str
    api_key: str
    output_dir: Path
    errors: list[str] = field(default_factory=list)
    DESKTOP: ClassVar[dict[str, int]] = DESKTOP
    PHONE: ClassVar[dict[str, int]] = PHONE

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}/ui{path}")

    def sign_in(self, key: str | None = None) -> None:
        self.goto("/signin")
        self.page.get_by_label("API key").fill(key or self.api_key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r"/ui/connections"))

    def shot(self, name: str, *, viewport: dict[str, int] | None = None) -> Path:
        if viewport is not None:
            self.page.set_viewport_size(viewport)
        path = self.output_dir / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def ui(browser: Any, ui_stack: Any, output_dir: Path) -> Iterator[Browsing]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    browsing = Browsing(page=page, base_url=ui_stack.url, api_key=ui_stack.api_key, output_dir=output_dir)
    page.on("pageerror", lambda exc: browsing.errors.append(str(exc)))
    try:
        yield browsing
    finally:
        context.close()
    assert browsing.errors == [], f"JavaScript errors on the page: {browsing.errors}"


# --- the stack under the UI -------------------------------------------------------------------------------------


@dataclass
class Stack:
    """The whole product on loopback: the API (and the UI) over HTTP, background workers, both simulators."""

    url: str
    api_key: str
    org_id: str
    services: Any
    sims: Any

    def sync(self, *, systems: list[str], entities: list[str], direction: str, timeout_s: float = 60) -> dict[str, Any]:
        """A run started and awaited through the service (set-up for a test, not the flow under test)."""
        orchestration = self.services.orchestration
        view = orchestration.start(self.org_id, systems=systems, entities=entities, direction=direction)
        done: dict[str, Any] = orchestration.wait(self.org_id, view["runId"], timeout_s=timeout_s)
        assert done["status"] == "completed", done
        return done

    def find(self, system: System, entity: EntityType, key: str) -> Any | None:
        connector = self.services.connector_for(self.org_id, system)
        try:
            return connector.find_by_natural_key(entity, [key]).get(key)
        finally:
            connector.close()

    def find_customer(self, system: System, email: str) -> Any | None:
        return self.find(system, EntityType.CUSTOMERS, email)

    def edit(self, system: System, entity: EntityType, key: str, **changes: Any) -> None:
        """A change made in a system, as its users would: through its own API."""
        current = self.find(system, entity, key)
        assert current is not None, f"{key} not in {system}"
        connector = self.services.connector_for(self.org_id, system)
        try:
            changed = dataclasses.replace(current, **changes)
            op = Operation(f"e2e-{system}-{key}", OpKind.UPDATE, entity, changed, current.external_id)
            [result] = connector.apply(entity, [op])
        finally:
            connector.close()
        assert result.ok, result

    def edit_customer(self, system: System, key: str, **changes: Any) -> None:
        self.edit(system, EntityType.CUSTOMERS, key, **changes)

@pytest.fixture
def ui_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    """A fresh SQLite hub, both simulators seeded small (different seeds: the same e-mails and SKUs with other
    values, so a two-way sync meets real conflicts), an organization with an API key and two connections, the
    API served on a free port, two background workers.

    Parametrized indirectly with ``"odoo-empty"``, Odoo starts empty: a first sync then fills it cleanly."""
    odoo_seeded = getattr(request, "param", "both-seeded") != "odoo-empty"
    from syncbridge.api.app import create_app
    from syncbridge.config import load_settings
    from syncbridge.engine.worker import start_background_workers
    from syncbridge.services.container import build_services
    from syncbridge.sim.seed import generate
    from syncbridge.sim.server import SimServer
    from syncbridge.sim.stack import connect_org, start_sims
    from syncbridge.store import orgs
    from syncbridge.store.session import transaction

    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        secret_key_file=tmp_path / "secret.key",
        api_rate_limit_per_minute=100_000,  # the run page polls every second
        woocommerce_rps=1000.0,
        woocommerce_burst=1000,
        odoo_rps=1000.0,
        odoo_burst=1000,
        lease_seconds=3.0,
        retry_base_s=0.01,
        retry_cap_s=0.05,
        http_timeout_s=5.0,
    )
    services = build_services(settings)
    sims = start_sims(
        woo_data=generate(customers=12, products=6, orders=8, seed=1),
        odoo_data=generate(customers=12, products=6, orders=8, seed=2) if odoo_seeded else None,
    )
    org_id = connect_org(services.engine, settings, sims, name="e2e shop")
    with transaction(services.engine) as conn:
        _, api_key = orgs.create_api_key(conn, org_id, name="browser tests")
    stop_workers = start_background_workers(services.engine_context, 2)
    server = SimServer(create_app(services)).start()
    try:
        yield Stack(url=server.url, api_key=api_key, org_id=org_id, services=services, sims=sims)
    finally:
        server.stop()
        stop_workers()
        sims.stop()
        services.close()
