"""The WordPress REST error shape: ``{"code", "message", "data": {"status", ...}}``."""

from __future__ import annotations

from typing import Any


class WcError(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_param(name: str, detail_code: str, message: str) -> WcError:
    """400 ``rest_invalid_param`` as WordPress builds it from the schema validation of one argument."""
    return WcError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        params={name: message},
        details={name: {"code": detail_code, "message": message, "data": None}},
    )


def no_route() -> WcError:
    return WcError(404, "rest_no_route", "No route was found matching the URL and request method.")
