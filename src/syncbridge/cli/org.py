"""`syncbridge org` and `syncbridge connection`: set up organizations, API keys and connections."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer

from syncbridge.cli.db import emit_json, fail, settings_or_exit
from syncbridge.config import Settings
from syncbridge.domain.records import EntityType
from syncbridge.errors import NotFoundError, SyncError
from syncbridge.store import connections, orgs
from syncbridge.store.bootstrap import open_store
from syncbridge.store.crypto import cipher_from_settings
from syncbridge.store.session import transaction

org_app = typer.Typer(no_args_is_help=True)
connection_app = typer.Typer(no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print JSON.")
ORG_OPT = typer.Option(..., "--org", help="Organization id or name.")


class SystemChoice(StrEnum):
    woocommerce = "woocommerce"
    odoo = "odoo"


class AuthChoice(StrEnum):
    auto = "auto"
    basic = "basic"
    query = "query"
    oauth1 = "oauth1"


class ProtocolChoice(StrEnum):
    jsonrpc = "jsonrpc"
    xmlrpc = "xmlrpc"
    json2 = "json2"


class VersionChoice(StrEnum):
    v16 = "16"
    v17 = "17"
    v18 = "18"
    v19 = "19"


@contextmanager
def _store(settings: Settings) -> Iterator[sa.Connection]:
    """One transaction on the migrated hub database; errors exit 1 with their message."""
    with fail():
        engine = open_store(settings)
        try:
            with transaction(engine) as conn:
                yield conn
        finally:
            engine.dispose()


def _org(conn: sa.Connection, ident: str) -> orgs.OrgRow:
    found = orgs.find_org(conn, ident)
    if found is None:
        raise NotFoundError(f"no organization {ident!r}")
    return found


@org_app.command("create")
def org_create(name: str, as_json: bool = JSON_OPT) -> None:
    """Create an organization; prints its id."""
    with _store(settings_or_exit()) as conn:
        row = orgs.create_org(conn, name)
    if as_json:
        emit_json({"id": row.id, "name": row.name, "created_at": row.created_at})
    else:
        typer.echo(row.id)


@org_app.command("list")
def org_list(as_json: bool = JSON_OPT) -> None:
    """Every organization."""
    with _store(settings_or_exit()) as conn:
        rows = orgs.list_orgs(conn)
    if as_json:
        emit_json([{"id": r.id, "name": r.name, "created_at": r.created_at} for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.id}  {r.name}")


@org_app.command("create-key")
def org_create_key(
    org: str = ORG_OPT,
    name: str = typer.Option("", "--name", help="A label for the key."),
    as_json: bool = JSON_OPT,
) -> None:
    """Create an API key; the key is printed once and cannot be shown again."""
    with _store(settings_or_exit()) as conn:
        row, clear = orgs.create_api_key(conn, _org(conn, org).id, name=name)
    if as_json:
        emit_json({"id": row.id, "org_id": row.org_id, "name": row.name, "prefix": row.prefix, "key": clear})
        return
    typer.echo(clear)
    typer.echo(f"(key {row.prefix}, id {row.id}: store it now, it is not shown again)", err=True)


@org_app.command("keys")
def org_keys(org: str = ORG_OPT, as_json: bool = JSON_OPT) -> None:
    """The organization's API keys (prefixes only)."""
    with _store(settings_or_exit()) as conn:
        rows = orgs.list_api_keys(conn, _org(conn, org).id)
    if as_json:
        emit_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "prefix": r.prefix,
                    "created_at": r.created_at,
                    "revoked_at": r.revoked_at,
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        typer.echo(f"{r.prefix}  {r.id}  {'active' if r.active else 'revoked'}  {r.name}")


@org_app.command("revoke-key")
def org_revoke_key(key_id: str = typer.Argument(..., help="Key id or prefix."), org: str = ORG_OPT) -> None:
    """Revoke an API key by id or prefix."""
    with _store(settings_or_exit()) as conn:
        if not orgs.revoke_api_key(conn, _org(conn, org).id, key_id):
            raise NotFoundError(f"no active key {key_id!r}")
    typer.echo(f"revoked {key_id}")


@connection_app.command("add")
def connection_add(
    org: str = ORG_OPT,
    system: SystemChoice = typer.Option(..., "--system"),
    url: str = typer.Option(..., "--url", help="Base URL of the shop or the Odoo server."),
    name: str | None = typer.Option(None, "--name", help="Defaults to the system's name."),
    key: str | None = typer.Option(None, "--key", help="WooCommerce consumer key (ck_...)."),
    secret: str | None = typer.Option(None, "--secret", help="WooCommerce consumer secret (cs_...)."),
    auth: AuthChoice = typer.Option(AuthChoice.auto, "--auth", help="WooCommerce authentication."),
    webhook_secret: str | None = typer.Option(None, "--webhook-secret", help="WooCommerce webhook secret."),
    database: str | None = typer.Option(None, "--db", help="Odoo database."),
    login: str | None = typer.Option(None, "--login", help="Odoo login."),
    api_key: str | None = typer.Option(None, "--api-key", help="Odoo API key."),
    protocol: ProtocolChoice = typer.Option(ProtocolChoice.jsonrpc, "--protocol", help="Odoo protocol."),
    version: VersionChoice | None = typer.Option(None, "--version", help="Odoo major version."),
    ca_bundle: Path | None = typer.Option(None, "--ca-bundle", exists=True, dir_okay=False),
    insecure: bool = typer.Option(False, "--insecure", help="Do not verify TLS certificates."),
    as_json: bool = JSON_OPT,
) -> None:
    """Add a connection to WooCommerce or Odoo; its secrets are stored encrypted."""
    settings = settings_or_exit()
    options: dict[str, Any] = {"insecure": insecure}
    if ca_bundle is not None:
        options["ca_bundle"] = str(ca_bundle.resolve())
    if system is SystemChoice.woocommerce:
        options["auth"] = auth.value
        secrets = {
            "consumer_key": key or "",
            "consumer_secret": secret or "",
            "webhook_secret": webhook_secret or "",
        }
        extra: dict[str, Any] = {}
    else:
        if version is not None:
            options["version"] = version.value
        secrets = {"api_key": api_key or ""}
        extra = {"database": database, "login": login, "protocol": protocol.value}
    with fail():
        cipher = cipher_from_settings(settings)
    with _store(settings) as conn:
        public = connections.add_connection(
            conn,
            _org(conn, org).id,
            system=system.value,
            name=name or system.value,
            base_url=url,
            secrets=secrets,
            cipher=cipher,
            options=options,
            **extra,
        )
    if as_json:
        emit_json(public.to_dict())
    else:
        typer.echo(public.id)


@connection_app.command("list")
def connection_list(org: str = ORG_OPT, as_json: bool = JSON_OPT) -> None:
    """The organization's connections, secrets masked."""
    settings = settings_or_exit()
    with fail():
        cipher = cipher_from_settings(settings)
    with _store(settings) as conn:
        rows = connections.list_connections(conn, _org(conn, org).id, cipher=cipher)
    if as_json:
        emit_json([r.to_dict() for r in rows])
        return
    for r in rows:
        masked = " ".join(f"{k}={v}" for k, v in sorted(r.masked_secrets.items()))
        typer.echo(f"{r.system:<12} {r.name:<20} {r.base_url}  {masked}")


def _find(
    conn: sa.Connection, org: str, name: str, system: SystemChoice | None
) -> connections.ConnectionPublic:
    org_id = _org(conn, org).id
    found = connections.find_connection(conn, org_id, name, system=system.value if system else None)
    if found is None:
        raise NotFoundError(f"no connection {name!r}")
    return found


@connection_app.command("delete")
def connection_delete(
    org: str = ORG_OPT,
    name: str = typer.Option(..., "--name", help="Connection name or id."),
    system: SystemChoice | None = typer.Option(None, "--system"),
) -> None:
    """Delete a connection (its links and cursors stay until cleaned up)."""
    with _store(settings_or_exit()) as conn:
        found = _find(conn, org, name, system)
        connections.delete_connection(conn, found.org_id, found.id)
    typer.echo(f"deleted {found.name}")


@connection_app.command("test")
def connection_test(
    org: str = ORG_OPT,
    name: str = typer.Option(..., "--name", help="Connection name or id."),
    system: SystemChoice | None = typer.Option(None, "--system"),
    as_json: bool = JSON_OPT,
) -> None:
    """Build the connector and read one page of products from the system."""
    settings = settings_or_exit()
    try:
        build = importlib.import_module("syncbridge.connectors.factory").build_connector
    except (ImportError, AttributeError):
        _report(as_json, {"ok": False, "error": "connector not available (not built yet)"}, status=2)
        return
    with fail():
        cipher = cipher_from_settings(settings)
    with _store(settings) as conn:
        found = _find(conn, org, name, system)
        credentials = connections.open_credentials(conn, found.org_id, found.id, cipher=cipher)
    try:
        connector = build(found, credentials, settings=settings)
        try:
            next(iter(connector.iter_changes(EntityType.PRODUCTS, None, page_size=1)), None)
        finally:
            connector.close()
    except SyncError as exc:
        _report(as_json, {"ok": False, "error": exc.message, "code": exc.code}, status=1)
        return
    _report(as_json, {"ok": True, "connection": found.name, "system": found.system}, status=0)


def _report(as_json: bool, result: dict[str, Any], *, status: int) -> None:
    if as_json:
        emit_json(result)
    elif result["ok"]:
        typer.echo(f"ok: {result['connection']} ({result['system']}) answered")
    else:
        typer.echo(f"error: {result['error']}", err=True)
    if status:
        raise typer.Exit(status)
