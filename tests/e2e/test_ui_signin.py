"""Sign in with an API key; a wrong key is refused in words; pages need a key."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Browsing

pytestmark = pytest.mark.e2e


def test_sign_in_shows_masked_connections(ui: Browsing) -> None:
    ui.sign_in()
    cards = ui.page.locator("li.connection")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("…")
    ui.shot("connections-1280")
    ui.shot("connections-375", viewport=ui.PHONE)


@pytest.mark.parametrize(
    ("key", "message"),
    [("sbk_wrong", "That API key was not accepted"), ("", "Enter an API key.")],
)
def test_sign_in_refused(ui: Browsing, key: str, message: str) -> None:
    ui.goto("/signin")
    # keyboard only: the key field has the focus, Enter submits
    expect(ui.page.get_by_label("API key")).to_be_focused()
    ui.page.keyboard.type(key)
    ui.page.keyboard.press("Enter")
    expect(ui.page.locator("#signin-error")).to_contain_text(message)
    expect(ui.page).to_have_url(re.compile(r"/ui/signin"))
    ui.shot("signin-refused")


def test_pages_send_strangers_to_sign_in(ui: Browsing) -> None:
    ui.goto("/runs")
    ui.page.wait_for_url(re.compile(r"/ui/signin\?next="))
    ui.page.get_by_label("API key").fill(ui.api_key)
    ui.page.get_by_role("button", name="Sign in").click()
    ui.page.wait_for_url(re.compile(r"/ui/runs$"))
    ui.shot("back-to-runs")
