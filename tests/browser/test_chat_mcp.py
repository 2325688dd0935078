"""An MCP tool on the chat page, in headless Chromium against a real server that
runs the published mcp-server-time for the bundled clock agent."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.chat_page import ChatPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_the_clock_agent_tells_the_time_through_its_mcp_server(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.start_chat("clock")
    chat.send("What time is it in Tokyo?")
    chat.wait_for_runs_ended(1)

    card = chat.page.locator(".tool-card")
    expect(card.locator(".tool-name")).to_have_text("mcp_clock__get_current_time")
    expect(card.locator(".tool-server")).to_have_text("MCP · clock")
    expect(card.locator(".tool-args")).to_have_text('{"timezone":"Asia/Tokyo"}')
    shown = card.locator(".tool-value").text_content()
    assert "\n" in shown  # structured content, indented
    assert json.loads(shown)["timezone"] == "Asia/Tokyo"
    (answer,) = chat.answers()
    assert answer.startswith("It is ") and answer.endswith("in Tokyo (Asia/Tokyo).")
