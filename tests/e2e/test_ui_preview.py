"""Preview per system and entity: counts, field-level diffs; the selective toggles are saved through the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from syncbridge.domain.records import System

if TYPE_CHECKING:
    from conftest import Browsing, Stack

pytestmark = pytest.mark.e2e


def test_preview_shows_counts_and_field_diffs(ui: Browsing, ui_stack: Stack) -> None:
    # the hub holds the shop's customers; then one of them is renamed in the shop
    ui_stack.sync(systems=["woocommerce"], entities=["customers"], direction="to-hub")
    ui_stack.edit_customer(System.WOOCOMMERCE, "customer000002@example.com", name="Grace Hopper")

    ui.sign_in()
    ui.goto("/preview")
    page = ui.page
    page.get_by_label("System").select_option("woocommerce")
    page.get_by_label("Entity").select_option("customers")
    page.get_by_label("Direction").select_option("inbound")
    page.get_by_role("button", name="Refresh from source").click()
    counts = page.locator("#pv-counts")
    expect(counts.locator("[data-kind=updated] .count-n")).to_have_text("1")
    expect(counts.locator("[data-kind=new] .count-n")).to_have_text("0")
    expect(page.locator("#pv-meta")).to_contain_text("freshly computed")

    record = page.locator(".kind-updated .record")
    expect(record).to_have_count(1)
    expect(record.locator(".record-key")).to_have_text("customer000002@example.com")
    name_row = record.locator("table.diff tr.changed", has_text="name")
    expect(name_row.locator("ins")).to_have_text("Grace Hopper")
    old_name = name_row.locator("del").inner_text()
    assert old_name not in {"", "Grace Hopper"}
    ui.shot("preview-1280")
    ui.shot("preview-375", viewport=ui.PHONE)

    # the same preview again comes from the cache
    page.set_viewport_size(ui.DESKTOP)
    page.get_by_role("button", name="Show preview").click()
    expect(page.locator("#pv-meta")).to_contain_text("from the cache")


def test_selective_toggles_are_saved(ui: Browsing) -> None:
    ui.sign_in()
    ui.goto("/preview")
    page = ui.page
    page.get_by_label("Entity").select_option("products")
    expect(page.locator("#sel-entity")).to_have_text("products")
    expect(page.get_by_label("Include new records")).to_be_checked()
    page.get_by_label("Include new records").uncheck()
    page.get_by_label("Include deleted records").check()
    page.get_by_role("button", name="Save selection").click()
    expect(page.locator("#sel-status")).to_contain_text("Saved: runs of products will include updated, deleted")
    ui.shot("selective-saved")

    # what the page shows after a reload comes from the API, not from the form
    page.reload()
    page.get_by_label("Entity").select_option("products")
    expect(page.get_by_label("Include new records")).not_to_be_checked()
    expect(page.get_by_label("Include updated records")).to_be_checked()
    expect(page.get_by_label("Include deleted records")).to_be_checked()
    page.get_by_label("Entity").select_option("customers")
    expect(page.get_by_label("Include new records")).to_be_checked()
    expect(page.get_by_label("Include deleted records")).not_to_be_checked()
