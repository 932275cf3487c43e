from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from syncbridge.config import load_settings
from syncbridge.logging import bind_context, configure_logging, redact


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (
            "GET /wp-json/wc/v3/products?consumer_key=ck_live123456&consumer_secret=cs_live654321&page=2",
            "live",
        ),
        ('{"consumer_secret": "s3cr3t-value"}', "s3cr3t"),
        ("login with password=hunter2 failed", "hunter2"),
        ("Authorization: Basic Y2tfYWJjOmNzX2RlZg==", "Y2tf"),
        ('headers={"authorization": "Bearer eyJhbGciOi.x.y"}', "eyJ"),
        ("odoo api_key: 0123456789abcdef", "0123456789"),
        ("using ck_0123456789abcdef and cs_fedcba9876543210", "0123456789"),
        ("key sbk_1a2b3c4d_Zm9vYmFyYmF6 accepted", "Zm9v"),
        ("webhook_secret='whsec_abc'", "whsec"),
    ],
)
def test_redact_masks_secrets(text: str, leaked: str) -> None:
    out = redact(text)
    assert leaked not in out
    assert "***" in out


@pytest.mark.parametrize(
    "text", ["synced 10 products for org acme", "sku=ABC-1 qty=3", "page=2&per_page=100"]
)
def test_redact_keeps_ordinary_text(text: str) -> None:
    assert redact(text) == text


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    level = logging.getLogger().level
    handler = configure_logging(load_settings(log_format="auto", log_level="DEBUG"), stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_org_and_run_and_hide_secrets(json_log: io.StringIO) -> None:
    log = logging.getLogger("syncbridge.test")
    log.info("outside")
    with bind_context(org_id="org-1"):
        with bind_context(run_id="run-9"):
            log.info("request %s", "https://shop/?consumer_secret=cs_topsecret99", extra={"api_key": "k-123"})
        log.warning("after run")
    try:
        raise ValueError("password=hunter2")
    except ValueError:
        log.exception("boom")
    lines = _lines(json_log)
    assert [(r["org_id"], r["run_id"]) for r in lines] == [
        (None, None),
        ("org-1", "run-9"),
        ("org-1", None),
        (None, None),
    ]
    assert lines[1]["api_key"] == "***"
    text = json_log.getvalue()
    for secret in ("topsecret99", "k-123", "hunter2"):
        assert secret not in text
    assert "ValueError" in str(lines[3]["exc"])


def test_text_format_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    handler = configure_logging(load_settings(log_format="auto"), stream=stream)
    try:
        with bind_context(org_id="org-1", run_id="run-2"):
            logging.getLogger("syncbridge.x").info("hello consumer_key=ck_abcdef123")
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert "[org=org-1 run=run-2]" in line and "hello consumer_key=***" in line
    assert not line.startswith("{")


def test_configure_is_idempotent() -> None:
    settings = load_settings(log_format="json")
    first = configure_logging(settings, stream=io.StringIO())
    second = configure_logging(settings, stream=io.StringIO())
    root = logging.getLogger()
    try:
        assert first not in root.handlers and second in root.handlers
    finally:
        root.removeHandler(second)
