"""Argument checks that answer like WordPress's schema validation (``rest_invalid_param``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from syncbridge.sim.woocommerce.errors import WcError, invalid_param

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _one_of(values: Iterable[str]) -> str:
    items = list(values)
    return ", ".join(items[:-1]) + f", and {items[-1]}" if len(items) > 1 else items[0]


def enum(name: str, value: Any, allowed: Iterable[str], *, label: str | None = None) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise invalid_param(name, "rest_not_in_enum", f"{label or name} is not one of {_one_of(allowed)}.")
    return value


def string(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid_param(name, "rest_invalid_type", f"{name} is not of type string.")
    return str(value)


def boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1", 1):
        return True
    if value in ("false", "0", 0, ""):
        return False
    raise invalid_param(name, "rest_invalid_type", f"{name} is not of type boolean.")


def integer(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise invalid_param(name, "rest_invalid_type", f"{name} is not of type integer.")
    try:
        number = int(str(value)) if not isinstance(value, float) or value.is_integer() else None
    except ValueError:
        number = None
    if number is None:
        raise invalid_param(name, "rest_invalid_type", f"{name} is not of type integer.")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = (
            f"between {minimum} (inclusive) and {maximum} (inclusive)"
            if maximum is not None
            else (f"greater than or equal to {minimum}")
        )
        raise invalid_param(name, "rest_out_of_bounds", f"{name} must be {bounds}")
    return number


def email(name: str, value: Any) -> str:
    text = string(name, value).strip()
    if not _EMAIL.match(text):
        raise invalid_param(name, "rest_invalid_email", "Invalid email address.")
    return text


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def date(name: str, value: Any) -> int:
    """A WordPress date argument (RFC 3339, with or without offset; naive = UTC here) to epoch seconds."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid_param(name, "rest_invalid_date", "Invalid date.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def json_object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_param(name, "rest_invalid_type", f"{name} is not of type object.")
    return value


def json_list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise invalid_param(name, "rest_invalid_type", f"{name} is not of type array.")
    return value


def not_found(code: str, message: str = "Invalid ID.") -> WcError:
    return WcError(404, code, message)
