"""The chat page's controls in headless Chromium against a real server: the Stop
button through a stop and the next run, the top bar, chat list and composer
hint on a phone-sized screen, and the account's links on both."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.chat_page import ChatPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def test_stopping_shows_on_the_button_until_that_run_ends_and_the_next_gets_stop(
    start_server, signed_in, alice
):
    server = start_server(step_delay=1.0)
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.start_chat("geo")
    stop = chat.page.locator("#stop")
    chat.send("What is the capital of France?")
    expect(stop).to_have_text("Stop")
    # A stop can land within milliseconds: record every look the button takes.
    stop.evaluate(
        """button => {
            window.stopLooks = [];
            new MutationObserver(() => window.stopLooks.push(
                [button.textContent.trim(), button.disabled, button.hidden]
            )).observe(button, {attributes: true, childList: true, subtree: true,
                                characterData: true});
        }"""
    )

    stop.click()

    expect(chat.page.locator('.turn[data-status="cancelled"]')).to_have_count(1)
    assert ["Stopping…", True, False] in chat.page.evaluate("window.stopLooks")
    expect(stop).to_be_hidden()
    chat.send("How many moons does Mars have?")
    expect(chat.page.locator('.turn[data-status="running"]')).to_have_count(1)
    expect(stop).to_be_visible()
    expect(stop).to_have_text("Stop")
    expect(stop).to_be_enabled()
    expect(chat.page.locator("#notice")).not_to_contain_text("Stopping")
    stop.click()  # and this run can be stopped too
    expect(chat.page.locator('.turn[data-status="cancelled"]')).to_have_count(2)


def test_on_a_phone_a_long_title_keeps_clear_of_the_connection_dot(
    start_server, signed_in, alice
):
    from tests.factories import new_session

    session = new_session(alice, agent="geo")
    session.title = "How many moons does Mars have, and what are all their names?"
    session.save()
    server = start_server()
    context = signed_in(server, alice, viewport=PHONE)
    chat = ChatPage(context.new_page(), server.base_url).open(str(session.id))
    badge = chat.page.locator("#connection")
    expect(badge).to_have_attribute("data-state", "live")

    def overlap() -> float:
        """How far the title's box runs into the connection badge's, in pixels."""
        title = chat.page.locator("#chat-title").bounding_box()
        dot = badge.bounding_box()
        return title["x"] + title["width"] - dot["x"]

    assert overlap() <= 0
    context.set_offline(True)  # a longer badge: "Offline: waiting for the network"
    expect(badge).to_have_attribute("data-state", "offline")
    assert overlap() <= 0
    title_box = chat.page.locator("#chat-title").bounding_box()
    assert title_box["x"] + title_box["width"] <= PHONE["width"]


def test_on_a_phone_opening_the_chat_list_does_not_focus_the_search_box(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(server, alice, viewport=PHONE)
    chat = ChatPage(context.new_page(), server.base_url).open()
    chat.send("add 2 and 2")
    chat.wait_for_runs_ended(1)

    chat.page.get_by_role("button", name="Show chats").click()

    current = chat.page.locator('.session-link[aria-current="page"]')
    expect(current).to_be_in_viewport()
    expect(current).to_be_focused()  # in the list, for a keyboard, not in a text box
    expect(chat.page.get_by_label("Search chats")).not_to_be_focused()
    chat.page.keyboard.press("Escape")
    expect(chat.page.get_by_role("button", name="Show chats")).to_be_focused()

    chat.page.get_by_role("button", name="Show chats").click()
    chat.page.get_by_role("button", name="New chat").click()  # the list closes
    expect(chat.page.locator("#welcome")).to_be_visible()
    chat.page.get_by_role("button", name="Show chats").click()
    expect(chat.page.get_by_role("button", name="New chat")).to_be_focused()
    expect(chat.page.get_by_label("Search chats")).not_to_be_focused()


def test_on_a_narrow_screen_the_hint_does_not_mention_shift_enter(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(server, alice, viewport=PHONE)
    chat = ChatPage(context.new_page(), server.base_url).open()
    hint = chat.page.locator("#composer-hint")
    expect(hint).to_have_text("Enter to send")

    chat.page.set_viewport_size({"width": 1280, "height": 800})

    expect(hint).to_have_text("Enter to send · Shift+Enter for a new line")


@pytest.mark.parametrize(
    ("viewport", "behind_the_menu"),
    [(DESKTOP, False), (PHONE, True)],
    ids=["desktop", "phone"],
)
def test_change_password_link_leads_from_the_chat_page_to_the_form(
    start_server, signed_in, alice, viewport, behind_the_menu
):
    server = start_server()
    context = signed_in(server, alice, viewport=viewport)
    chat = ChatPage(context.new_page(), server.base_url).open()
    if behind_the_menu:  # a phone keeps the chat list and the account in a drawer
        chat.page.get_by_role("button", name="Show chats").click()
    link = chat.page.get_by_role("link", name="Change password")
    expect(link).to_be_in_viewport()
    expect(chat.page.get_by_role("button", name="Sign out")).to_be_in_viewport()

    link.click()

    expect(chat.page).to_have_url(server.base_url + reverse("password-change"))
    heading = chat.page.get_by_role("heading", name="Change your password")
    expect(heading).to_be_visible()
    expect(chat.page.get_by_label("Old password")).to_be_visible()
