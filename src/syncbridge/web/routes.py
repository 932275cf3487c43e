"""The web UI: server-rendered page shells; the browser fills them by calling the REST API.

The server never touches an organization's data here: each page is a Jinja2 template, and its script calls
``/api/v1/integrations/...`` with the API key the user signed in with (kept in ``sessionStorage``). So the UI
sees exactly what the API allows, and authentication, isolation and rate limits live in one place.

The router has no prefix of its own; the app mounts it (at ``/ui``). Every link in the templates is built with
``url_for``, so the pages work under whatever prefix they are mounted at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from syncbridge.domain.records import ENTITY_ORDER, EXTERNAL_SYSTEMS

API_PREFIX = "/api/v1/integrations"
_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
# Autoescaping on for every template: values from the URL (a run id) never become markup.
templates = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True)
)

# Only these files are served: a fixed list, so no path in a URL can reach anything else on disk.
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
STATIC_FILES: frozenset[str] = frozenset(
    p.name for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in _STATIC_TYPES
)

SYSTEM_LABELS = {"woocommerce": "WooCommerce", "odoo": "Odoo", "hub": "Hub"}
DIRECTIONS = (
    ("two-way", "Two-way (systems → hub → systems)"),
    ("to-hub", "Into the hub only"),
    ("from-hub", "From the hub only"),
)
CONFLICT_TYPES = ("data_mismatch", "duplicate_key", "validation_error", "auth_error", "retry_exhausted")
CONFLICT_STATUSES = ("open", "retrying", "resolved", "skipped")
RESOLUTIONS = (
    ("keep_hub", "Keep the hub version", "Write the hub's record to the target and close the conflict."),
    ("take_source", "Take the source version", "Apply the record as the source system has it."),
    ("take_target", "Take the target version", "Keep what the target has and copy it to the hub."),
    ("edit", "Edit the values, then apply", "Change the fields below and apply the result."),
    ("link", "Link to an existing record", "For a duplicate: link to a record that already exists."),
    ("skip", "Skip", "Record the decision; nothing is applied."),
    ("retry", "Retry", "Try the same operation again."),
)


@dataclass(frozen=True, slots=True)
class NavItem:
    endpoint: str
    label: str


NAV: tuple[NavItem, ...] = (
    NavItem("ui_connections", "Connections"),
    NavItem("ui_preview", "Preview"),
    NavItem("ui_runs", "Runs"),
    NavItem("ui_conflicts", "Conflicts"),
    NavItem("ui_activity", "Activity"),
)

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, *, title: str, active: str | None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "active": active,
            "nav": NAV,
            "api_prefix": API_PREFIX,
            "systems": [(s.value, SYSTEM_LABELS[s.value]) for s in EXTERNAL_SYSTEMS],
            "entities": [e.value for e in ENTITY_ORDER],
            **context,
        },
    )


@router.get("/", name="ui_home")
def home(request: Request) -> RedirectResponse:
    # Where to go is decided in the browser (signed in or not); the connections page sends strangers on.
    return RedirectResponse(str(request.url_for("ui_connections")), status_code=303)


@router.get("/static/{name}", name="ui_static")
def static_file(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(status_code=404, detail="no such file")
    path = STATIC_DIR / name
    return FileResponse(path, media_type=_STATIC_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/signin", name="ui_signin", response_class=HTMLResponse)
def signin(request: Request) -> HTMLResponse:
    return _page(request, "signin.html", title="Sign in", active=None, public=True)


@router.get("/connections", name="ui_connections", response_class=HTMLResponse)
def connections(request: Request) -> HTMLResponse:
    return _page(request, "connections.html", title="Connections", active="ui_connections")


@router.get("/preview", name="ui_preview", response_class=HTMLResponse)
def preview(request: Request) -> HTMLResponse:
    return _page(request, "preview.html", title="Preview", active="ui_preview")


@router.get("/runs", name="ui_runs", response_class=HTMLResponse)
def runs(request: Request) -> HTMLResponse:
    return _page(request, "runs.html", title="Runs", active="ui_runs", directions=DIRECTIONS)


@router.get("/runs/{run_id}", name="ui_run", response_class=HTMLResponse)
def run(request: Request, run_id: str) -> HTMLResponse:
    return _page(request, "run.html", title="Run", active="ui_runs", run_id=run_id)


@router.get("/conflicts", name="ui_conflicts", response_class=HTMLResponse)
def conflicts(request: Request) -> HTMLResponse:
    return _page(
        request,
        "conflicts.html",
        title="Conflicts",
        active="ui_conflicts",
        conflict_types=CONFLICT_TYPES,
        conflict_statuses=CONFLICT_STATUSES,
    )


@router.get("/conflicts/{conflict_id}", name="ui_conflict", response_class=HTMLResponse)
def conflict(request: Request, conflict_id: str) -> HTMLResponse:
    return _page(
        request,
        "conflict.html",
        title="Conflict",
        active="ui_conflicts",
        conflict_id=conflict_id,
        resolutions=RESOLUTIONS,
    )


@router.get("/activity", name="ui_activity", response_class=HTMLResponse)
def activity(request: Request) -> HTMLResponse:
    return _page(request, "activity.html", title="Activity", active="ui_activity")
