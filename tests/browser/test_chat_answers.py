"""The chat page's helpers around an answer, in headless Chromium against a real
server: copying an answer, and the starter prompts of an empty chat."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.registry import load_registry
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


def test_an_empty_chat_offers_the_agents_examples_and_a_click_sends_one(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    starters = chat.page.get_by_role("group", name="Try asking").get_by_role("button")
    chat.start_chat("calculator")
    expect(starters.first).to_have_text("What is 17% of 2,340?")
    chat.start_chat("geo")
    expect(starters).to_have_text(
        [
            "What is the capital of Peru?",
            "How many moons does Mars have?",
            "What is the population of Japan?",
        ]
    )

    starters.get_by_text("What is the capital of Peru?").click()

    chat.wait_for_runs_ended(1)
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text(
        "What is the capital of Peru?"
    )
    assert "Lima" in chat.answers()[0]
    expect(chat.page.locator("#chat-agent")).to_have_text("geo")
    expect(starters).to_have_count(0)  # the chat is not empty any more
    chat.page.reload()
    chat.wait_for_runs_ended(1)
    expect(starters).to_have_count(0)


def test_a_stored_chat_without_messages_offers_its_own_agents_examples(
    start_server, signed_in, alice
):
    from tests.factories import new_session

    session = new_session(alice, agent="math")
    first = load_registry().get("math").examples[0]
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url)
    chat.open(str(session.id))
    starters = chat.page.get_by_role("group", name="Try asking").get_by_role("button")
    expect(starters.first).to_have_text(first)

    starters.first.click()

    chat.wait_for_runs_ended(1)
    assert "168" in chat.answers()[0]
    expect(starters).to_have_count(0)
