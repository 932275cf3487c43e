"""The chaos suite's moving parts: a private Redis that can really be restarted, worker and API processes that
can be SIGKILLed and respawned, and PostgreSQL connections that can be cut from an admin connection.

Sizes come from the environment: ``CHAOS_ITEMS`` (records per shop, default 200), ``CHAOS_ROUNDS`` (default 3),
``CHAOS_SEED`` (default 7).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import sqlalchemy as sa

CHAOS_ITEMS = int(os.environ.get("CHAOS_ITEMS", "200"))
CHAOS_ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "3"))
CHAOS_SEED = int(os.environ.get("CHAOS_SEED", "7"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class PrivateRedis:
    """A redis-server of our own on a free port, so a restart disturbs nobody else's tests."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def restart(self, down_s: float = 0.3) -> None:
        self.kill()
        time.sleep(down_s)
        self.start()
        self.restarts += 1


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the chaos suite restarts a Redis of its own")
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


@dataclass
class ChaosDb:
    """The test schema's URL, tagged with an application name so its backends (and only those) can be cut."""

    url: str
    admin_url: str
    application_name: str
    drops: int = 0

    def drop_connections(self) -> int:
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                killed = conn.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": self.application_name},
                ).scalar_one()
        finally:
            admin.dispose()
        self.drops += 1
        return int(killed)


@pytest.fixture
def chaos_db(pg_url: str, pg_admin_url: str) -> ChaosDb:
    name = f"chaos_{uuid.uuid4().hex[:10]}"
    return ChaosDb(url=f"{pg_url}&application_name={name}", admin_url=pg_admin_url, application_name=name)


@dataclass
class Processes:
    """``python -m syncbridge worker`` and ``serve --no-workers`` processes, killed and respawned at will."""

    env: dict[str, str]
    log: Path
    api_port: int = field(default_factory=free_port)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api: subprocess.Popen[bytes] | None = None
    kills: dict[str, int] = field(default_factory=lambda: {"worker": 0, "api": 0})
    _out: IO[bytes] | None = None

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        if self._out is None:
            self._out = self.log.open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "syncbridge", *args], env=self.env, stdout=self._out, stderr=subprocess.STDOUT
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start_worker(self) -> None:
        self.workers.append(self._spawn("worker", "--threads", "2"))

    def start_api(self) -> None:
        self.api = self._spawn("serve", "--no-workers", "--poll-odoo-s", "0", "--port", str(self.api_port))
        wait_for_port(self.api_port, timeout_s=30)

    def kill_worker(self, index: int) -> None:
        proc = self.workers[index]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.kills["worker"] += 1
        self.workers[index] = self._spawn("worker", "--threads", "2")

    def kill_api(self) -> None:
        if self.api is not None:
            self.api.send_signal(signal.SIGKILL)
            self.api.wait()
            self.kills["api"] += 1
        self.start_api()

    def stop(self) -> None:
        for proc in [*self.workers, *([self.api] if self.api else [])]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, *([self.api] if self.api else [])]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        if self._out is not None:
            self._out.close()


def process_env(db_url: str, redis_url: str, key_file: Path, **extra: Any) -> dict[str, str]:
    env = {
        **os.environ,
        "SYNCBRIDGE_DATABASE_URL": db_url,
        "SYNCBRIDGE_REDIS_URL": redis_url,
        "SYNCBRIDGE_SECRET_KEY_FILE": str(key_file),
        "SYNCBRIDGE_LEASE_SECONDS": "2",
        "SYNCBRIDGE_RETRY_BASE_S": "0.02",
        "SYNCBRIDGE_RETRY_CAP_S": "0.2",
        "SYNCBRIDGE_WOOCOMMERCE_RPS": "1000",
        "SYNCBRIDGE_WOOCOMMERCE_BURST": "1000",
        "SYNCBRIDGE_ODOO_RPS": "1000",
        "SYNCBRIDGE_ODOO_BURST": "1000",
        "SYNCBRIDGE_HTTP_TIMEOUT_S": "2",
        "SYNCBRIDGE_API_RATE_LIMIT_PER_MINUTE": "1000000",
        "SYNCBRIDGE_LOG_FORMAT": "json",
        "SYNCBRIDGE_LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env
