"""Incoming field values (``create`` / ``write``) checked and turned into their stored shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from syncbridge.sim.odoo.exceptions import PyValueError, ValidationError
from syncbridge.sim.odoo.schema import Field
from syncbridge.sim.odoo.table import fmt_datetime


def convert(model: str, fname: str, spec: Field, value: Any, old: Any, exists: Callable[[str, int], bool]) -> Any:
    """A value as ``create``/``write`` receive it, checked and in stored shape."""
    if value is None:
        value = False
    if spec.type in {"char", "text", "html"}:
        if value is False:
            return False
        if not isinstance(value, str):
            value = str(value)
        return value or False
    if spec.type in {"float", "monetary"}:
        if value is False:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PyValueError(f"could not convert string to float: {value!r}")
        return float(value)
    if spec.type == "integer":
        return int(value) if value is not False else 0
    if spec.type == "boolean":
        return bool(value)
    if spec.type == "selection":
        if value is False:
            return False
        assert spec.selection is not None
        if value not in {k for k, _ in spec.selection}:
            raise PyValueError(f"Wrong value for {model}.{fname}: {value!r}")
        return value
    if spec.type == "many2one":
        if value is False or value == 0:
            return False
        if isinstance(value, list | tuple) and value:
            value = value[0]
        assert spec.relation is not None
        if not isinstance(value, int) or not exists(spec.relation, value):
            raise ValidationError(
                f"The operation cannot be completed: the value {value!r} of {fname} on {model} refers to "
                f"a record of {spec.relation} that does not exist."
            )
        return value
    if spec.type == "many2many":
        return m2m_commands(list(old or []), value)
    if spec.type in {"date", "datetime"}:
        if value is False:
            return False
        text = str(value)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise PyValueError(f"time data {text!r} does not match format '%Y-%m-%d %H:%M:%S'") from exc
        return parsed.strftime("%Y-%m-%d") if spec.type == "date" else fmt_datetime(parsed)
    return value


def blank(value: Any) -> bool:
    return value is False or value is None or value == "" or value == []


def empty(spec: Field) -> Any:
    if spec.type in {"one2many", "many2many"}:
        return []
    if spec.default is not None and not callable(spec.default):
        return spec.default
    if spec.type in {"float", "monetary"}:
        return 0.0
    if spec.type == "integer":
        return 0
    return False


def m2m_commands(current: list[int], value: Any) -> list[int]:
    if value is False:
        return []
    ids = list(current)
    for command in value:
        if isinstance(command, int):  # a plain list of ids (accepted by Odoo 17+)
            ids = [c for c in value if isinstance(c, int)]
            break
        code = command[0]
        if code == 6:
            ids = list(command[2])
        elif code == 4 and command[1] not in ids:
            ids.append(command[1])
        elif code == 3:
            ids = [i for i in ids if i != command[1]]
        elif code == 5:
            ids = []
        else:
            raise PyValueError(f"Invalid many2many command {command!r}")
    return ids
