from __future__ import annotations

import pytest

from syncbridge.connectors.odoo import errors
from syncbridge.errors import (
    AuthError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    RateLimitedError,
    TransientError,
    ValidationError,
)

TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n{}\n'


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (3, "Access Denied", AuthError),
        (4, "You are not allowed to create 'Payments' (account.payment) records.", PermissionDeniedError),
        (2, "Contacts require a name", ValidationError),
        (2, "Record does not exist or has been deleted.\n(Record: res.partner(9,), User: 2)", NotFoundError),
        (1, TRACEBACK.format("ValueError: Invalid field 'nope' on model 'res.partner'"), ValidationError),
        (1, TRACEBACK.format("ValueError: Wrong value for product.template.type: 'product'"), ValidationError),
        (
            1,
            TRACEBACK.format(
                "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update"
            ),
            TransientError,
        ),
        (1, TRACEBACK.format("AttributeError: The method 'nope' does not exist"), PermanentError),
    ],
)
def test_xmlrpc_faults(code: int, text: str, expected: type[Exception]) -> None:
    error = errors.from_fault(code, text)
    assert type(error) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("odoo.exceptions.AccessDenied", AuthError),
        ("odoo.http.SessionExpiredException", AuthError),
        ("odoo.exceptions.AccessError", PermissionDeniedError),
        ("odoo.exceptions.MissingError", NotFoundError),
        ("odoo.exceptions.ValidationError", ValidationError),
        ("odoo.exceptions.UserError", ValidationError),
        ("psycopg2.errors.SerializationFailure", TransientError),
        ("builtins.ValueError", ValidationError),
        ("builtins.TypeError", ValidationError),
        ("builtins.AttributeError", PermanentError),
    ],
)
def test_jsonrpc_error_names(name: str, expected: type[Exception]) -> None:
    assert type(errors.from_error_name(name, "message")) is expected


def test_access_error_says_the_user_lacks_rights() -> None:
    error = errors.from_error_name("odoo.exceptions.AccessError", "You are not allowed to create 'Payments'")
    assert "lacks the access rights" in error.message and "Payments" in error.message


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, 2.0, RateLimitedError),
        (500, None, TransientError),
        (502, None, TransientError),
        (503, 5.0, TransientError),
        (401, None, AuthError),
        (403, None, PermissionDeniedError),
        (404, None, NotFoundError),
        (400, None, ValidationError),
    ],
)
def test_http_statuses(status: int, retry_after: float | None, expected: type[Exception]) -> None:
    error = errors.from_status(status, retry_after, "body")
    assert type(error) is expected
    if status == 429:
        assert error.retry_after == 2.0


@pytest.mark.parametrize(
    ("code", "text", "none"),
    [
        (1, "...\nTypeError: cannot marshal None unless allow_none is enabled\n", True),
        (1, "...\nValueError: x\n", False),
        (2, "cannot marshal None", False),
    ],
)
def test_none_fault_is_recognised(code: int, text: str, none: bool) -> None:
    assert errors.is_none_fault(code, text) is none
