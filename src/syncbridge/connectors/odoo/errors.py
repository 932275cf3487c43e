"""The one translation of Odoo faults and transport failures into ``syncbridge.errors``.

============================================  ==========================================
Odoo / transport                              syncbridge
============================================  ==========================================
fault 3, ``AccessDenied``, authenticate False  ``AuthError``
fault 4, ``AccessError``                       ``PermissionDeniedError`` (the user lacks rights)
fault 2, ``UserError``, ``ValidationError``    ``ValidationError``
``MissingError``                               ``NotFoundError``
fault 1 ``ValueError`` / ``TypeError``         ``ValidationError`` (unknown field, bad selection)
``SerializationFailure``, concurrent update    ``TransientError``
other fault 1 (``AttributeError``, ...)        ``PermanentError``
HTTP 429                                       ``RateLimitedError`` with ``retry_after``
HTTP 5xx, timeouts, connection errors          ``TransientError``
JSON-2 401 / 403 / 404 / 409 / 422             as the error name says
============================================  ==========================================
"""

from __future__ import annotations

from syncbridge.errors import (
    AuthError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    SyncError,
    TransientError,
    ValidationError,
)

_MISSING_TEXT = "Record does not exist or has been deleted"
_CONCURRENT = ("SerializationFailure", "TransactionRollbackError", "concurrent update", "could not serialize")


def _rights(message: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        "The Odoo user of this connection lacks the access rights for this operation "
        f"(give it the needed groups, e.g. Invoicing/Billing for payments): {message}",
        code="odoo_access_error",
    )


def from_error_name(name: str, message: str) -> SyncError:
    """A JSON-RPC ``error.data.name`` (or a JSON-2 ``name``) with its message."""
    short = name.rsplit(".", 1)[-1]
    if short in {"AccessDenied", "SessionExpiredException"}:
        return AuthError(f"Odoo refused the credentials: {message}", code="odoo_access_denied")
    if short == "AccessError":
        return _rights(message)
    if short == "MissingError":
        return NotFoundError(message, code="odoo_missing")
    if short in {"UserError", "ValidationError", "RedirectWarning"}:
        return ValidationError(message, code="odoo_validation")
    if any(mark in name or mark in message for mark in _CONCURRENT):
        return TransientError(f"concurrent update in Odoo, retry: {message}", code="odoo_serialization")
    if short in {"ValueError", "TypeError", "KeyError"}:
        return ValidationError(message, code="odoo_bad_value")
    return PermanentError(f"{name}: {message}", code="odoo_error")


def from_fault(code: int, text: str) -> SyncError:
    """An XML-RPC fault: code 2-4 carry the message, code 1 a traceback whose last line names the error."""
    if code == 3:
        return from_error_name("odoo.exceptions.AccessDenied", text)
    if code == 4:
        return from_error_name("odoo.exceptions.AccessError", text)
    if code == 2:
        name = "odoo.exceptions.MissingError" if _MISSING_TEXT in text else "odoo.exceptions.UserError"
        return from_error_name(name, text)
    last = text.strip().splitlines()[-1] if text.strip() else text
    name, _, message = last.partition(": ")
    return from_error_name(name.strip() or "Exception", message or last)


def is_none_fault(code: int, text: str) -> bool:
    """The fault a committed method that returned None produces over XML-RPC: a success."""
    return code == 1 and "cannot marshal None" in text


def from_status(status: int, retry_after: float | None, text: str) -> SyncError:
    if status == 429:
        from syncbridge.errors import RateLimitedError

        return RateLimitedError("Odoo is rate limiting", retry_after=retry_after or 1.0)
    if status >= 500:
        return TransientError(f"Odoo answered HTTP {status}", code=f"http_{status}", retry_after=retry_after)
    if status == 401:
        return AuthError(f"Odoo refused the credentials (HTTP 401): {text[:200]}")
    if status == 403:
        return _rights(text[:200])
    if status == 404:
        return NotFoundError(f"not found (HTTP 404): is this an Odoo server? {text[:200]}")
    return ValidationError(f"Odoo answered HTTP {status}: {text[:200]}", code=f"http_{status}")
