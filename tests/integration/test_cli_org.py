from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from syncbridge.cli.main import app
from syncbridge.config import load_settings
from syncbridge.errors import ConfigError

CK = "ck_0123456789abcdef0123456789abcdef01234567"
CS = "cs_fedcba9876543210fedcba9876543210fedcba98"
ODOO_KEY = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYNCBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SYNCBRIDGE_SECRET_KEY_FILE", str(tmp_path / "secret"))
    return CliRunner()


def _run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.stderr if result.stderr_bytes else "")
    return result.stdout


def _walk_setup(cli: CliRunner) -> None:
    org_id = _run(cli, "org", "create", "Acme").strip()
    assert len(org_id) == 32
    orgs = orjson.loads(_run(cli, "org", "list", "--json"))
    assert orgs == [{"id": org_id, "name": "Acme", "created_at": orgs[0]["created_at"]}]

    key = orjson.loads(_run(cli, "org", "create-key", "--org", "Acme", "--name", "ci", "--json"))
    assert key["key"].startswith(f"sbk_{key['prefix']}_")
    listed = _run(cli, "org", "keys", "--org", org_id, "--json")
    assert key["key"] not in listed and key["prefix"] in listed

    wc = ["connection", "add", "--org", "Acme", "--system", "woocommerce", "--url", "https://shop.example"]
    _run(cli, *wc, "--key", CK, "--secret", CS, "--auth", "basic", "--webhook-secret", "whsec-1234567890")
    odoo = ["--system", "odoo", "--url", "http://odoo:8069", "--db", "prod", "--login", "admin"]
    added = orjson.loads(
        _run(
            cli,
            "connection",
            "add",
            "--org",
            org_id,
            *odoo,
            "--api-key",
            ODOO_KEY,
            "--version",
            "17",
            "--json",
        )
    )
    assert added["secrets"] == {"api_key": "…a9b0"} and added["options"]["version"] == "17"
    # A second connection of the same system and name is refused with a clear error.
    _run(cli, *wc, "--key", CK, "--secret", CS, code=1)

    text = _run(cli, "connection", "list", "--org", "Acme")
    as_json = _run(cli, "connection", "list", "--org", "Acme", "--json")
    for secret in (CK, CS, ODOO_KEY, "whsec-1234567890"):
        assert secret not in text and secret not in as_json
    conns = {c["system"]: c for c in orjson.loads(as_json)}
    assert conns["woocommerce"]["secrets"] == {
        "consumer_key": "ck_…4567",
        "consumer_secret": "cs_…ba98",
        "webhook_secret": "…7890",
    }
    assert conns["woocommerce"]["options"]["auth"] == "basic"
    assert conns["odoo"]["protocol"] == "jsonrpc" and conns["odoo"]["database"] == "prod"

    _run(cli, "org", "revoke-key", "--org", "Acme", key["prefix"])
    _run(cli, "org", "revoke-key", "--org", "Acme", key["prefix"], code=1)
    _run(cli, "connection", "list", "--org", "nobody", code=1)
    _run(cli, "connection", "delete", "--org", "Acme", "--name", "odoo")
    assert len(orjson.loads(_run(cli, "connection", "list", "--org", "Acme", "--json"))) == 1


def test_org_and_connection_commands_on_sqlite(cli: CliRunner, tmp_path: Path) -> None:
    _walk_setup(cli)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.connect() as conn:
        raw = repr(conn.execute(sa.text("SELECT * FROM connection")).all())
    engine.dispose()
    assert CK not in raw and CS not in raw


@pytest.mark.pg
def test_org_and_connection_commands_on_postgres(cli: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCBRIDGE_DATABASE_URL", pg_url)
    _walk_setup(cli)


def test_db_commands(cli: CliRunner) -> None:
    assert orjson.loads(_run(cli, "db", "current", "--json"))["current"] is None
    _run(cli, "db", "upgrade")
    assert orjson.loads(_run(cli, "db", "current", "--json")) == {
        "current": "0003",
        "head": "0003",
        "up_to_date": True,
    }
    _run(cli, "db", "downgrade")
    assert orjson.loads(_run(cli, "db", "current", "--json"))["current"] is None


def test_connection_test_reports_an_unreachable_system(cli: CliRunner) -> None:
    _run(cli, "org", "create", "Acme")
    _run(
        cli,
        "connection",
        "add",
        "--org",
        "Acme",
        "--system",
        "woocommerce",
        "--url",
        "http://127.0.0.1:9",
        "--key",
        CK,
        "--secret",
        CS,
    )
    # Nothing listens on port 9: the command reaches the connector and reports the failure.
    result = cli.invoke(app, ["connection", "test", "--org", "Acme", "--name", "woocommerce"])
    assert result.exit_code == 1 and "error:" in result.output


def test_bad_setting_is_a_clear_error(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCBRIDGE_DATABASE_URL", "mysql://nope")
    result = cli.invoke(app, ["org", "list"])
    assert result.exit_code == 2
    assert "database_url" in result.output and "sqlite" in result.output


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"database_url": "mysql://x"}, "database_url"),
        ({"log_level": "LOUD"}, "log_level"),
        ({"http_timeout_s": 0}, "http_timeout_s"),
        ({"default_batch_size": 5000}, "default_batch_size"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_settings_bad_value_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        load_settings(**overrides)
