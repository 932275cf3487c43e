"""``syncbridge sim woocommerce`` / ``syncbridge sim odoo`` as subprocesses: they seed, print a working example
request, and serve it (the printed curl line is replayed with httpx, the printed python line is run)."""

from __future__ import annotations

import os
import queue
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

SYNCBRIDGE = str(Path(sys.executable).with_name("syncbridge"))
SEED = ["--customers", "4", "--products", "4", "--orders", "4", "--seed", "2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the simulator exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def replay_curl(line: str) -> httpx.Response:
    """The request a ``curl -s [-u U:P] [-H H] [-d D] URL`` line makes, made with httpx."""
    args = shlex.split(line)[1:]
    headers: dict[str, str] = {}
    data: str | None = None
    auth: tuple[str, str] | None = None
    url = ""
    while args:
        arg = args.pop(0)
        if arg == "-H":
            name, _, value = args.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = args.pop(0)
        elif arg == "-u":
            user, _, password = args.pop(0).partition(":")
            auth = (user, password)
        elif not arg.startswith("-"):
            url = arg
    return httpx.request("POST" if data is not None else "GET", url, content=data, headers=headers, auth=auth)


def run_printed(line: str) -> Any:
    if line.startswith("curl "):
        response = replay_curl(line)
        assert response.status_code == 200, response.text
        return response.json()
    assert line.startswith("python -c ")
    done = subprocess.run(
        [sys.executable, "-c", shlex.split(line)[2]], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


CASES = [
    ("woocommerce", [], 1),
    ("woocommerce", ["--assume-https", "--consumer-key", "ck_cli", "--consumer-secret", "cs_cli"], 2),
    ("odoo", ["--version", "16", "--db", "shop", "--login", "api", "--api-key", "k3y"], 1),
]


@pytest.mark.parametrize(("system", "extra", "examples"), CASES, ids=["woo-oauth", "woo-https", "odoo16"])
def test_sim_command_seeds_prints_a_working_example_and_serves(system: str, extra: list[str], examples: int) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [SYNCBRIDGE, "sim", system, "--port", str(port), *SEED, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        wait_for_port(port, proc, deadline)
        printed: list[str] = []
        while len([x for x in printed if x.startswith(("  curl ", "  python "))]) < examples:
            printed.append(lines.get(timeout=max(deadline - time.monotonic(), 0.1)))
        assert f"http://127.0.0.1:{port}" in printed[0]
        assert "refused" in printed[0]
        for line in (x.strip() for x in printed if x.startswith(("  curl ", "  python "))):
            answer = run_printed(line)
            if system == "odoo":
                assert len(answer["result"]) == 3 and {"name", "email"} <= set(answer["result"][0])
            elif line.startswith("curl"):
                assert len(answer) == 2 and all(p["sku"] for p in answer)
            else:
                assert answer.count("'sku'") == 2
        if "--consumer-key" in extra:
            assert "ck_cli" in "".join(printed)
        if system == "odoo":
            assert "k3y" in "".join(printed) and '"shop"' in "".join(printed)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        stdout.close()
