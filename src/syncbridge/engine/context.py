"""What a worker needs to work (the engine context), and the heartbeat that keeps a lease while it works."""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.connectors.factory import ConnectorFactory
from syncbridge.domain.records import EntityType, System
from syncbridge.errors import SyncError


class Invalidator(Protocol):
    def invalidate(self, org_id: str, entity: EntityType | str, system: System | str | None = None) -> Any: ...


@dataclass
class EngineContext:
    engine: Engine
    settings: Settings
    connector_for: ConnectorFactory
    preview: Invalidator | None = None
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    rng: random.Random = field(default_factory=random.Random)


class Heartbeat:
    """Extends a lease every third of its length until stopped; notices when the lease was lost."""

    def __init__(self, beat: Callable[[], bool], every_s: float) -> None:
        self._beat = beat
        self._every = every_s
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="heartbeat")

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if not self._beat():
                    self.lost = True
                    return
            except SyncError:
                continue  # the database blinked; the next beat tries again, the lease has slack

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
