"""`syncbridge worker`: claim and run sync batches until stopped (SIGTERM / Ctrl-C give the lease up)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from syncbridge.cli.common import fail_on_error, services
from syncbridge.engine.worker import run_worker


@fail_on_error
def worker(
    threads: int = typer.Option(1, "--threads", help="Worker threads in this process."),
) -> None:
    svc = services()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pool = [
        threading.Thread(target=run_worker, args=(svc.engine_context(),), kwargs={"stop": stop}, daemon=True)
        for _ in range(max(1, threads))
    ]
    for t in pool:
        t.start()
    typer.echo(f"worker running with {len(pool)} thread(s); Ctrl-C to stop", err=True)
    while any(t.is_alive() for t in pool):
        for t in pool:
            t.join(timeout=0.5)
