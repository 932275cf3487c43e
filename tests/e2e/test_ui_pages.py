"""The page shells over plain HTTP (no browser): every page renders, static files are a fixed list, and
values from the address are escaped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from syncbridge.sim.server import SimServer
from syncbridge.web.routes import STATIC_FILES, router

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    app = FastAPI()
    app.include_router(router, prefix="/ui")
    with SimServer(app) as server, httpx.Client(base_url=server.url) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/ui/signin", "Sign in"),
        ("/ui/connections", "Connections"),
        ("/ui/preview", "Preview"),
        ("/ui/runs", "Runs"),
        ("/ui/runs/abc123", "Run"),
        ("/ui/conflicts", "Conflicts"),
        ("/ui/conflicts/abc123", "Conflict"),
        ("/ui/activity", "Activity"),
    ],
)
def test_pages_render(client: httpx.Client, path: str, heading: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{heading}" in response.text
    assert 'data-api="/api/v1/integrations"' in response.text
    assert f"{client.base_url}/ui/static/app.js" in response.text


@pytest.mark.parametrize("path", ["/ui/", "/ui"])
def test_home_leads_to_connections(client: httpx.Client, path: str) -> None:
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert str(response.url) == f"{client.base_url}/ui/connections"


@pytest.mark.parametrize(
    ("name", "status", "content_type"),
    [
        ("app.css", 200, "text/css"),
        ("app.js", 200, "text/javascript"),
        ("routes.py", 404, None),
        ("..%2Froutes.py", 404, None),
        ("missing.js", 404, None),
    ],
)
def test_static_files_are_a_fixed_list(client: httpx.Client, name: str, status: int, content_type: str | None) -> None:
    response = client.get(f"/ui/static/{name}")
    assert response.status_code == status
    if content_type is not None:
        assert response.headers["content-type"].startswith(content_type)


def test_every_page_script_is_served() -> None:
    assert {"app.js", "app.css", "signin.js", "connections.js", "preview.js", "runs.js", "run.js", "conflicts.js",
            "conflict.js", "activity.js"} <= STATIC_FILES


def test_values_from_the_address_are_escaped(client: httpx.Client) -> None:
    response = client.get("/ui/runs/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
