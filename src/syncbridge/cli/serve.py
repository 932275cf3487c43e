"""`syncbridge serve`: the REST API and web UI, with in-process workers and the Odoo change feed.

With workers (the default) a run started over HTTP progresses with nothing else running; ``--no-workers``
when separate ``syncbridge worker`` processes claim the batches. ``--poll-odoo-s 0`` turns the feed off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
import uvicorn

from syncbridge.config import get_settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[bool, typer.Option("--workers/--no-workers", help="Run sync workers in this process.")] = True,
    worker_count: Annotated[int, typer.Option(help="How many worker threads.", min=1, max=64)] = 2,
    poll_odoo_s: Annotated[
        float, typer.Option(help="Seconds between polls of Odoo for changes (0: off).", min=0)
    ] = 60.0,
) -> None:
    from syncbridge.api.app import create_app
    from syncbridge.engine.worker import start_background_workers
    from syncbridge.services.changefeed import OdooChangeFeed, start_change_feed
    from syncbridge.services.container import build_services

    services = build_services(get_settings())
    app = create_app(services)
    stoppers: list[Callable[[], None]] = []
    if workers:
        stoppers.append(start_background_workers(services.engine_context, worker_count))
    if poll_odoo_s > 0:
        feed = OdooChangeFeed(
            services.engine,
            connector_for=services.connector_for,
            preview=services.preview,
            orchestration=services.orchestration,
        )
        stoppers.append(start_change_feed(feed, poll_odoo_s))
    typer.echo(f"syncbridge API on http://{host}:{port}  (docs: /docs, UI: /ui)")
    try:
        uvicorn.run(app, host=host, port=port, log_level=services.settings.log_level.lower())
    finally:
        for stop in reversed(stoppers):
            stop()
        services.close()
