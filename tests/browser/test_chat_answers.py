"""The chat page's helpers around an answer, in headless Chromium against a real
server: copying an answer, and the starter prompts of an empty chat."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.chat_page import ChatPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_copy_puts_the_answer_on_the_clipboard_and_says_copied(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(
        server, alice, permissions=["clipboard-read", "clipboard-write"]
    )
    chat = ChatPage(context.new_page(), server.base_url).open()
    chat.start_chat("geo")
    chat.send("What is the capital of Peru?")
    chat.wait_for_runs_ended(1)
    (answer,) = chat.answers()

    copy = chat.page.get_by_role("button", name="Copy")
    expect(copy).to_have_count(1)  # one per finished answer
    copy.click()

    expect(chat.page.get_by_role("button", name="Copied")).to_be_visible()
    assert chat.page.evaluate("navigator.clipboard.readText()") == answer
    expect(chat.page.get_by_role("button", name="Copy")).to_be_visible(timeout=5000)
