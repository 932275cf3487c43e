"""Structured logging: JSON lines when stderr is not a terminal, readable lines when it is.

Every line carries the organization and run bound with ``bind_context`` (context variables, so they follow
threads' and tasks' own contexts). ``RedactingFilter`` masks secrets before any handler sees a record:
values of sensitive keys (``consumer_secret=...``, ``"password": "..."``, ``Authorization: Basic ...``),
WooCommerce ``ck_`` / ``cs_`` tokens and our ``sbk_`` API keys.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from syncbridge.config import Settings

_org_id: ContextVar[str | None] = ContextVar("syncbridge_org_id", default=None)
_run_id: ContextVar[str | None] = ContextVar("syncbridge_run_id", default=None)

MASK = "***"
SENSITIVE_KEYS = (
    "consumer_key",
    "consumer_secret",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "password",
    "passwd",
    "secret",
    "secret_key",
    "webhook_secret",
    "token",
    "access_token",
    "refresh_token",
    "client_secret",
    "oauth_signature",
)
_KEYS = "|".join(re.escape(k) for k in sorted(SENSITIVE_KEYS, key=len, reverse=True))
# Authorization: Basic abc== / "authorization": "Bearer xyz" (the scheme stays readable)
_AUTHORIZATION = re.compile(
    r"""(?i)(\bauthorization["']?\s*[:=]\s*["']?)(?:(basic|bearer|oauth|token)\s+)?[^"',;}\s]+"""
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # key=value (query strings, forms), key: value, "key": "value"
    (re.compile(rf"""(?i)(\b(?:{_KEYS})["']?\s*[:=]\s*["']?)[^"'&,;}}\s]+"""), rf"\1{MASK}"),
    (re.compile(r"\b(ck|cs)_[A-Za-z0-9]{4,}"), rf"\1_{MASK}"),
    (re.compile(r"\bsbk_[A-Za-z0-9]+_[A-Za-z0-9_-]+"), f"sbk_{MASK}"),
)
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "org_id", "run_id"}


def _mask_authorization(match: re.Match[str]) -> str:
    scheme = match.group(2)
    return f"{match.group(1)}{scheme + ' ' if scheme else ''}{MASK}"


def redact(text: str) -> str:
    text = _AUTHORIZATION.sub(_mask_authorization, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS or key.lower() == "authorization":
        return MASK
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    return value


@contextmanager
def bind_context(*, org_id: str | None = None, run_id: str | None = None) -> Iterator[None]:
    """Lines logged inside the block carry these ids (``None`` keeps what an outer block bound)."""
    tokens = []
    if org_id is not None:
        tokens.append((_org_id, _org_id.set(org_id)))
    if run_id is not None:
        tokens.append((_run_id, _run_id.set(run_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_context() -> dict[str, str | None]:
    return {"org_id": _org_id.get(), "run_id": _run_id.get()}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.org_id = _org_id.get()
        record.run_id = _run_id.get()
        return True


class RedactingFilter(logging.Filter):
    """Formats the message once, masks secrets in it and in extra fields; exceptions are masked on output."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _redact_value(key, value))
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "org_id": getattr(record, "org_id", None),
            "run_id": getattr(record, "run_id", None),
            **_extras(record),
        }
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode("utf-8")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        ids = " ".join(
            f"{name}={value}"
            for name in ("org", "run")
            if (value := getattr(record, f"{name}_id", None)) is not None
        )
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        parts = [stamp, f"{record.levelname:<7}", record.name, f"[{ids}]" if ids else "", record.getMessage()]
        text = " ".join(p for p in parts if p) + (f"  {extras}" if extras else "")
        if record.exc_info:
            text += "\n" + redact(self.formatException(record.exc_info))
        return text


_HANDLER_NAME = "syncbridge"


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Send the root logger's output to ``stream`` (stderr) in the format the settings ask for; idempotent."""
    out = stream if stream is not None else sys.stderr
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "text" if out.isatty() else "json"
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler
