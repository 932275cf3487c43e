"""``execute_kw``: one model method call, dispatched onto the in-memory environment."""

from __future__ import annotations

from typing import Any

from syncbridge.sim.odoo import actions
from syncbridge.sim.odoo.exceptions import AccessError, PyAttributeError, PyTypeError, UserError
from syncbridge.sim.odoo.orm import Env

GENERIC = frozenset(
    {
        "search",
        "search_read",
        "search_count",
        "read",
        "create",
        "write",
        "unlink",
        "fields_get",
        "action_archive",
        "action_unarchive",
        "name_search",
    }
)


def _arg(args: list[Any], kwargs: dict[str, Any], index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.pop(name, default)


def _ids(value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    raise PyTypeError(f"ids must be a list of integers, not {value!r}")


def execute_kw(env: Env, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if model not in env.tables:
        raise UserError(f"Object {model} doesn't exist")
    if method.startswith("_"):
        raise AccessError(f"Private methods (such as '{model}.{method}') cannot be called remotely.")
    kwargs = dict(kwargs)
    context = kwargs.pop("context", None) or {}
    env.context = dict(context)
    active_test = bool(context.get("active_test", True))
    args = list(args)
    if method in GENERIC:
        if method != "fields_get" and method not in {"read", "search", "search_read", "search_count"}:
            env.check_access(model, "write" if method != "create" else "create")
        elif method in {"read", "search", "search_read", "search_count"}:
            env.check_access(model, "read")
        return _generic(env, model, method, args, kwargs, active_test)
    action = actions.methods(env.version).get((model, method))
    if action is None:
        raise PyAttributeError(f"The method '{method}' does not exist on the model '{model}'")
    env.check_access(model, "write")
    return action(env, _ids(_arg(args, kwargs, 0, "ids", [])), kwargs)


def _generic(env: Env, model: str, method: str, args: list[Any], kwargs: dict[str, Any], active_test: bool) -> Any:
    if method in {"search", "search_read", "search_count"}:
        domain = _arg(args, kwargs, 0, "domain", []) or []
        if method == "search_read":
            fields = _arg(args, kwargs, 1, "fields", None)
            offset = int(_arg(args, kwargs, 2, "offset", 0) or 0)
            limit = _arg(args, kwargs, 3, "limit", None)
            order = _arg(args, kwargs, 4, "order", None)
        else:
            fields = None
            offset = int(_arg(args, kwargs, 1, "offset", 0) or 0)
            limit = _arg(args, kwargs, 2, "limit", None)
            order = _arg(args, kwargs, 3, "order", None)
        _no_extra(model, method, kwargs)
        if method == "search_count":
            return len(env.search(model, domain, active_test=active_test))
        ids = env.search(
            model,
            domain,
            offset=offset,
            limit=int(limit) if limit else None,
            order=order,
            active_test=active_test,
        )
        return ids if method == "search" else env.read(model, ids, fields)
    if method == "read":
        ids = _ids(_arg(args, kwargs, 0, "ids", []))
        fields = _arg(args, kwargs, 1, "fields", None)
        kwargs.pop("load", None)
        _no_extra(model, method, kwargs)
        return env.read(model, ids, fields)
    if method == "create":
        vals = _arg(args, kwargs, 0, "vals_list", None)
        _no_extra(model, method, kwargs)
        create = actions.quant_create if model == "stock.quant" else (lambda e, v: e.create(model, v))
        if isinstance(vals, list):
            return [create(env, v) for v in vals]
        if not isinstance(vals, dict):
            raise PyTypeError(f"create() expects a dict or a list of dicts, not {vals!r}")
        return create(env, vals)
    if method == "write":
        ids = _ids(_arg(args, kwargs, 0, "ids", []))
        vals = _arg(args, kwargs, 1, "vals", {})
        _no_extra(model, method, kwargs)
        return env.write(model, ids, vals)
    if method == "unlink":
        ids = _ids(_arg(args, kwargs, 0, "ids", []))
        _no_extra(model, method, kwargs)
        return env.unlink(model, ids)
    if method in {"action_archive", "action_unarchive"}:
        ids = _ids(_arg(args, kwargs, 0, "ids", []))
        return (actions.ARCHIVE if method == "action_archive" else actions.UNARCHIVE)(env, model, ids)
    if method == "name_search":
        name = str(_arg(args, kwargs, 0, "name", "") or "")
        ids = env.search(model, [("name", "ilike", name)] if name else [], limit=int(kwargs.pop("limit", 100)))
        return [[i, env.display_name(model, env[model][i])] for i in ids]
    allfields = _arg(args, kwargs, 0, "allfields", None)
    attributes = _arg(args, kwargs, 1, "attributes", None)
    specs = env[model].fields
    names = [f for f in (allfields or specs) if f in specs]
    return {name: specs[name].describe(attributes) for name in names}


def _no_extra(model: str, method: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        name = next(iter(kwargs))
        raise PyTypeError(f"{model}.{method}() got an unexpected keyword argument '{name}'")
