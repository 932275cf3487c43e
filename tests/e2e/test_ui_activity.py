"""The activity log and its chart of items synced and conflicts over time."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Browsing, Stack

pytestmark = pytest.mark.e2e


def test_activity_log_and_chart(ui: Browsing, ui_stack: Stack) -> None:
    done = ui_stack.sync(systems=["woocommerce"], entities=["customers"], direction="to-hub")
    applied = done["progress"]["applied"]
    assert applied > 0

    ui.sign_in()
    ui.goto("/activity")
    page = ui.page
    chart = page.locator("#chart svg.chart-svg")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile(rf"^{applied} items synced and 0 conflicts between"))
    assert chart.locator("rect.bar-synced").count() >= 1
    log = page.locator("#activity tbody tr")
    expect(log.filter(has_text="run completed")).to_have_count(1)
    expect(log.filter(has_text="batch").first).to_be_visible()
    ui.shot("activity-1280")
    # as a phone opens it: the chart is drawn for the width it has
    page.set_viewport_size(ui.PHONE)
    page.reload()
    expect(page.locator("#chart svg.chart-svg")).to_have_attribute("viewBox", re.compile(r"^0 0 3\d\d "))
    ui.shot("activity-375")


def test_activity_is_empty_at_first(ui: Browsing) -> None:
    ui.sign_in()
    ui.goto("/activity")
    expect(ui.page.locator("#chart")).to_contain_text("Nothing synced yet")
    expect(ui.page.locator("#activity")).to_contain_text("No activity yet.")
