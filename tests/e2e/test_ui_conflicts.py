"""Conflicts: filter the list, open one (both versions, differing fields marked), resolve it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from syncbridge.domain.records import EntityType, System

if TYPE_CHECKING:
    from conftest import Browsing, Stack

pytestmark = pytest.mark.e2e
BOTH = ["woocommerce", "odoo"]


def make_conflicts(stack: Stack) -> None:
    """Two deliberate conflicts after a clean first sync: an e-mail the shop refuses (a validation error), and
    a product renamed on both sides (a data mismatch: no field policy decides product names)."""
    stack.sync(systems=BOTH, entities=["customers", "products"], direction="two-way")
    stack.edit_customer(System.ODOO, "customer000005@example.com", email="not-an-email", name="Grace Hopper")
    stack.edit(System.WOOCOMMERCE, EntityType.PRODUCTS, "SKU-000001", name="Name From The Shop")
    stack.edit(System.ODOO, EntityType.PRODUCTS, "SKU-000001", name="Name From The ERP")
    done = stack.sync(systems=BOTH, entities=["customers", "products"], direction="two-way")
    assert done["progress"]["conflicts"] == 2, done


def open_first_conflict(ui: Browsing, query: str) -> str:
    ui.goto(f"/conflicts?{query}")
    rows = ui.page.locator("#conflicts tbody tr")
    expect(rows).to_have_count(1)
    conflict_id = rows.first.get_attribute("data-conflict-id")
    assert conflict_id
    rows.first.get_by_role("link").click()
    ui.page.wait_for_url(re.compile(rf"/ui/conflicts/{conflict_id}$"))
    return conflict_id


@pytest.mark.parametrize("ui_stack", ["odoo-empty"], indirect=True)
def test_filter_open_and_resolve_conflicts(ui: Browsing, ui_stack: Stack) -> None:
    make_conflicts(ui_stack)
    ui.sign_in()
    ui.goto("/conflicts")
    page = ui.page
    expect(page.locator("#cf-stats")).to_contain_text("2 open")
    expect(page.locator("#conflicts tbody tr")).to_have_count(2)
    page.get_by_label("Type").select_option("validation_error")
    page.get_by_label("Entity").select_option("customers")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"type=validation_error&entity=customers&status=open"))
    expect(page.locator("#conflicts tbody tr")).to_have_count(1)
    ui.shot("conflicts-1280")
    ui.shot("conflicts-375", viewport=ui.PHONE)
    page.set_viewport_size(ui.DESKTOP)

    # the shop refused the e-mail: retrying as is fails again, and the page says why
    open_first_conflict(ui, "type=validation_error&status=open")
    expect(page.locator("#cf-summary")).to_contain_text("email")
    page.get_by_role("radio", name=re.compile("^Retry")).check()
    page.get_by_role("button", name="Apply resolution").click()
    expect(page.locator("#resolve-error")).to_contain_text("Not resolved: Invalid parameter(s): email")
    expect(page.locator("#cf-summary")).to_contain_text("open")
    ui.shot("conflict-refused-1280")
    ui.shot("conflict-refused-375", viewport=ui.PHONE)
    page.set_viewport_size(ui.DESKTOP)

    # edit the value, then apply: the record reaches the shop
    page.get_by_role("radio", name=re.compile("^Edit the values, then apply")).check()
    page.get_by_label("email", exact=True).fill("grace@example.com")
    page.get_by_role("button", name="Apply resolution").click()
    expect(page.locator("#flash")).to_contain_text("Conflict resolved: edit.")
    expect(page.locator("#cf-summary")).to_contain_text("resolved")
    expect(page.locator("#resolve-form")).to_be_hidden()
    ui.shot("conflict-resolved")
    in_shop = ui_stack.find_customer(System.WOOCOMMERCE, "grace@example.com")
    assert in_shop is not None and in_shop.name == "Grace Hopper"

    # both sides renamed the same product: both versions side by side, the differing field marked
    open_first_conflict(ui, "type=data_mismatch&status=open")
    name_row = page.locator("table.versions tr[data-field=name]")
    expect(name_row).to_have_class("changed")
    expect(name_row.locator(".diff-mark")).to_have_text("changed")
    expect(name_row).to_contain_text("Name From The ERP")
    expect(name_row).to_contain_text("Name From The Shop")
    expect(page.locator("table.versions tr[data-field=sku]")).not_to_have_class("changed")
    ui.shot("conflict-mismatch-1280")
    ui.shot("conflict-mismatch-375", viewport=ui.PHONE)
    page.set_viewport_size(ui.DESKTOP)
    page.get_by_role("radio", name=re.compile("^Skip")).check()
    page.get_by_role("button", name="Apply resolution").click()
    expect(page.locator("#cf-summary")).to_contain_text("skipped")

    ui.goto("/conflicts?status=open")
    expect(page.locator("#conflicts")).to_contain_text("No conflicts match these filters.")


def test_filters_that_match_nothing_say_so(ui: Browsing) -> None:
    ui.sign_in()
    ui.goto("/conflicts?status=skipped&entity=payments")
    expect(ui.page.get_by_label("Status")).to_have_value("skipped")
    expect(ui.page.locator("#conflicts")).to_contain_text("No conflicts match these filters.")
    ui.goto("/conflicts")
    expect(ui.page.locator("#conflicts")).to_contain_text("No conflicts: everything synced cleanly so far.")
    ui.shot("no-conflicts")
