"""What every CLI command shares: settings, services, org lookup, and one way to report errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from syncbridge.cli.db import settings_or_exit
from syncbridge.errors import NotFoundError, SyncError
from syncbridge.services.container import Services, build_services
from syncbridge.store import orgs
from syncbridge.store.session import transaction

P = ParamSpec("P")
T = TypeVar("T")

_services: list[Services] = []


def services() -> Services:
    """The process's services, built once from the validated settings."""
    if not _services:
        _services.append(build_services(settings_or_exit()))
    return _services[0]


def org_id_of(svc: Services, ident: str) -> str:
    with transaction(svc.engine) as conn:
        found = orgs.find_org(conn, ident)
    if found is None:
        raise NotFoundError(f"no organization {ident!r} (create one with `syncbridge org create NAME`)")
    return found.id


def fail_on_error(fn: Callable[P, T]) -> Callable[P, T]:
    """A ``SyncError`` becomes ``error: <message>`` on stderr and exit status 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except SyncError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from None

    return wrapper


