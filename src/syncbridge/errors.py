"""The one error hierarchy of syncbridge.

Every adapter translates its third-party errors (httpx, xmlrpc, psycopg, ...) once, into one of these::

    SyncError                       root; ``retryable`` says whether trying again can help
    ├── TransientError              retryable: 5xx, connection reset, timeout, serialization failure
    │   └── RateLimitedError        429; carries ``retry_after`` (seconds)
    └── PermanentError              not retryable as such
        ├── AuthError               401, Odoo fault 3 / AccessDenied
        ├── PermissionDeniedError   403, Odoo fault 4 / AccessError
        ├── ValidationError         400, Odoo fault 2 / ValidationError / UserError
        ├── DuplicateKeyError       the natural key (SKU, email, order number) exists already
        ├── NotFoundError           404, Odoo MissingError
        ├── ConfigError             a bad setting, a missing connection
        ├── IllegalTransitionError  a state machine refused a move
        └── ConcurrencyLimitError   too many runs at once

``http_status`` is the answer the REST API gives for the class; ``code`` is a short machine-readable name.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SyncError(Exception):
    retryable: ClassVar[bool] = False
    http_status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.retry_after = retry_after
        self.details: dict[str, Any] = details or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class TransientError(SyncError):
    retryable = True
    http_status = 503
    default_code = "transient"


class RateLimitedError(TransientError):
    http_status = 429
    default_code = "rate_limited"


class PermanentError(SyncError):
    retryable = False


class AuthError(PermanentError):
    http_status = 401
    default_code = "auth_error"


class PermissionDeniedError(PermanentError):
    http_status = 403
    default_code = "permission_denied"


class ValidationError(PermanentError):
    http_status = 400
    default_code = "validation_error"


class DuplicateKeyError(PermanentError):
    http_status = 409
    default_code = "duplicate_key"


class NotFoundError(PermanentError):
    http_status = 404
    default_code = "not_found"


class ConfigError(PermanentError):
    http_status = 400
    default_code = "config_error"


class IllegalTransitionError(PermanentError):
    http_status = 409
    default_code = "illegal_transition"


class ConcurrencyLimitError(PermanentError):
    http_status = 409
    default_code = "concurrency_limit"
