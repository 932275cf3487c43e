"""Start a run with its settings; watch its live progress; pause, resume and cancel it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Browsing

pytestmark = pytest.mark.e2e


def start_run(ui: Browsing, *, entities: tuple[str, ...], batch_size: int, delay_ms: int) -> str:
    ui.goto("/runs")
    page = ui.page
    form = page.locator("#start-form")
    for box in form.locator("input[name=entities]").all():
        box.set_checked(box.get_attribute("value") in entities)
    page.get_by_label("Direction").select_option("two-way")
    page.get_by_label("Batch size").fill(str(batch_size))
    page.get_by_label("Delay between batches (ms)").fill(str(delay_ms))
    page.get_by_label("Max retries").fill("2")
    ui.shot("start-form")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r"/ui/runs/[^/]+$"))
    return page.url.rsplit("/", 1)[1]


def test_start_pause_resume_cancel(ui: Browsing) -> None:
    ui.sign_in()
    run_id = start_run(ui, entities=("customers", "products"), batch_size=1, delay_ms=400)
    page = ui.page
    expect(page.locator("#run-id")).to_have_text(run_id)
    status = page.locator("#run-status")
    expect(status).to_have_text(re.compile("pending|running"))
    expect(page.locator("#run-entities .entity")).to_have_count(2)

    expect(status).to_have_text("running")
    page.get_by_role("button", name="Pause").click()
    expect(status).to_have_text("paused")
    page.wait_for_timeout(1500)  # a few polls later, still paused
    expect(status).to_have_text("paused")
    expect(page.get_by_role("button", name="Resume")).to_be_enabled()
    expect(page.get_by_role("button", name="Pause")).to_be_disabled()
    ui.shot("paused-1280")
    ui.shot("paused-375", viewport=ui.PHONE)
    ui.page.set_viewport_size(ui.DESKTOP)

    page.get_by_role("button", name="Resume").click()
    expect(status).to_have_text(re.compile("pending|running|completing|completed"))
    # live: the page polls the run and the processed count moves on without a reload
    expect(page.locator("#st-processed")).not_to_have_text(re.compile(r"^(–|0) /"), timeout=20_000)
    ui.shot("resumed")

    page.get_by_role("button", name="Cancel").click()
    expect(status).to_have_text(re.compile("cancelled|completed"))
    expect(page.get_by_role("button", name="Resume")).to_be_disabled()
    expect(page.locator("#st-eta")).to_have_text("done")

    ui.goto("/runs")
    expect(page.locator("#runs").get_by_role("link", name=run_id)).to_be_visible()
    ui.shot("runs-list")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Batch size", "0", "Batch size must be a whole number from 1 to 1000."),
        ("Max retries", "2.5", "Max retries must be a whole number from 0 to 20."),
    ],
)
def test_start_form_explains_bad_settings(ui: Browsing, field: str, value: str, message: str) -> None:
    ui.sign_in()
    ui.goto("/runs")
    ui.page.get_by_label(field).fill(value)
    ui.page.get_by_role("button", name="Start run").click()
    expect(ui.page.locator("#start-error")).to_have_text(message)
    expect(ui.page.get_by_label(field)).to_be_focused()
    expect(ui.page).to_have_url(re.compile(r"/ui/runs$"))
