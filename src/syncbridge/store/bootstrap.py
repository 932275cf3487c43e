"""Open the hub database for a command or a server: make the engine and bring the schema to head, once."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

from syncbridge.config import Settings
from syncbridge.store.db import make_engine
from syncbridge.store.migrate import alembic_config, current_engine, upgrade_engine

_lock = threading.Lock()
_upgraded: set[str] = set()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def open_store(settings: Settings) -> Engine:
    """An engine on ``settings.database_url`` whose schema is at head (upgraded on first use in a process)."""
    url = settings.database_url
    _ensure_sqlite_dir(url)
    engine = make_engine(url)
    with _lock:
        if url not in _upgraded:
            if current_engine(engine) != head_revision():
                upgrade_engine(engine)
            _upgraded.add(url)
    return engine
