"""Approving tool calls on the chat page, in headless Chromium against a real
server: the `notes` agent asks before every save_note, and the card on the call
approves, edits or rejects it, live in every tab, after a reload, by keyboard
alone, and when the run is stopped meanwhile."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import ChatPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

SAVE = "Save a note: call the bank"


def ask_to_save(chat: ChatPage, text: str = SAVE):
    """Send a save request to the notes agent; returns its card once it waits."""
    chat.start_chat("notes")
    chat.send(text)
    return pending_card(chat.page)


def pending_card(page: Page):
    """The page's newest approval card, once it waits for this user."""
    card = page.locator(".approval").last
    expect(card).to_have_attribute("data-state", "pending")
    expect(card).to_be_visible()
    expect(card.get_by_role("status")).to_have_text("Waiting for your approval")
    return card


def saved_notes(user) -> list[str]:
    """The notes the notes agent keeps for `user`, as stored."""
    from conversations.models import AgentState

    row = AgentState.objects.filter(
        scope=AgentState.Scope.USER, agent="notes", user=user, key="notes"
    ).first()
    return row.value if row else []


def test_approving_saves_the_note_and_the_answer_says_so(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)
    expect(card).to_contain_text("Expires")
    tool_card = chat.page.locator(".tool-card", has=card)
    expect(tool_card.locator(".tool-name")).to_have_text("save_note")
    expect(tool_card.locator(".tool-args")).to_have_text('{"text":"call the bank"}')
    expect(chat.page.locator(".turn-state")).to_have_text("Waiting for your approval")
    expect(chat.page.get_by_role("button", name="Send")).to_be_disabled()
    expect(chat.page.locator("#composer-hint")).to_contain_text(
        "waits for your approval"
    )

    card.get_by_role("button", name="Approve").click()

    chat.wait_for_runs_ended(1)
    expect(card).to_have_attribute("data-state", "approved")
    expect(card.get_by_role("status")).to_have_text("Approved by alice")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(tool_card.locator(".tool-outcome-label")).to_have_text("Result")
    assert chat.answers() == ["Saved your note: “call the bank”."]
    assert saved_notes(alice) == ["call the bank"]


def test_edited_arguments_are_what_gets_saved(start_server, signed_in, alice):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)
    card.get_by_role("button", name="Edit").click()
    args = card.get_by_label("Arguments (JSON)")
    expect(args).to_be_focused()
    assert json.loads(args.input_value()) == {"text": "call the bank"}

    args.fill('{"text": "call the bank at 9"')  # a brace short
    card.get_by_role("button", name="Approve").click()
    expect(card.get_by_role("alert")).to_contain_text("not valid JSON")
    expect(card).to_have_attribute("data-state", "pending")
    args.fill('{"text": 9}')  # JSON, but not what save_note takes: the server says no
    card.get_by_role("button", name="Approve").click()
    expect(card.get_by_role("alert")).to_contain_text("Not accepted")
    expect(card).to_have_attribute("data-state", "pending")
    args.fill('{"text": "call the bank at 9"}')
    card.get_by_role("button", name="Approve").click()

    chat.wait_for_runs_ended(1)
    expect(card.get_by_role("status")).to_have_text("Approved with changes by alice")
    expect(card.get_by_label("Arguments as approved")).to_have_text(
        '{"text":"call the bank at 9"}'
    )
    assert chat.answers() == ["Saved your note: “call the bank at 9”."]
    assert saved_notes(alice) == ["call the bank at 9"]


def test_escape_leaves_the_edit_and_focus_returns_to_edit(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)
    edit = card.get_by_role("button", name="Edit")
    edit.click()
    card.get_by_label("Arguments (JSON)").press("Escape")

    expect(card.get_by_label("Arguments (JSON)")).to_be_hidden()
    expect(edit).to_be_focused()
    expect(card).to_have_attribute("data-state", "pending")


def test_rejecting_with_a_reason_is_said_on_the_card_and_in_the_answer(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    dialogs = []
    chat.page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    card = ask_to_save(chat)
    card.get_by_role("button", name="Reject").click()
    reason = card.get_by_label("Reason (optional)")
    expect(reason).to_be_focused()

    reason.fill("I already called")
    reason.press("Enter")

    chat.wait_for_runs_ended(1)
    expect(card.get_by_role("status")).to_have_text(
        "Rejected by alice: I already called"
    )
    tool_card = chat.page.locator(".tool-card", has=card)
    expect(tool_card.locator(".tool-outcome-label")).to_have_text("Not run: rejected")
    (answer,) = chat.answers()
    assert answer.startswith("I didn't save the note")
    assert "I already called" in answer
    assert saved_notes(alice) == []
    assert dialogs == []  # no window.prompt


def test_a_second_tab_sees_the_card_and_its_decision_live(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(server, alice)
    first = ChatPage(context.new_page(), server.base_url).open()
    first.start_chat("notes")
    first.send("What are my notes?")  # the session exists before the save asks
    first.wait_for_runs_ended(1)
    second = ChatPage(context.new_page(), server.base_url).open(first.session_id)
    expect(second.page.locator("#connection")).to_have_text("Live")

    first.send(SAVE)
    pending_card(first.page)
    card = pending_card(second.page)
    first.page.locator(".approval").get_by_role("button", name="Approve").click()

    expect(card.get_by_role("status")).to_have_text("Approved by alice")
    expect(card.get_by_role("button")).to_have_count(0)
    second.wait_for_runs_ended(2)
    assert second.answers() == first.answers()
    # The same page in both tabs, every event once (a tool's outcome sits in its
    # card, above the memory change the tool made, so not in seq order).
    assert second.rendered_seqs() == first.rendered_seqs()
    assert sorted(first.rendered_seqs()) == first.stored_seqs()


def test_a_reload_while_pending_shows_the_card_again_and_it_still_approves(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    ask_to_save(chat)

    chat.page.reload()

    card = pending_card(chat.page)
    expect(chat.page.get_by_role("button", name="Send")).to_be_disabled()
    card.get_by_role("button", name="Approve").click()
    chat.wait_for_runs_ended(1)
    assert chat.answers() == ["Saved your note: “call the bank”."]
    rendered = chat.rendered_seqs()
    assert sorted(rendered) == chat.stored_seqs()


def test_the_keyboard_alone_reaches_approve_and_presses_it(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)
    approve = card.get_by_role("button", name="Approve")
    chat.page.locator("#chat-title").click()  # from the top of the conversation

    for _ in range(20):
        chat.page.keyboard.press("Tab")
        if approve.evaluate("button => button === document.activeElement"):
            break
    expect(approve).to_be_focused()
    chat.page.keyboard.press("Enter")

    chat.wait_for_runs_ended(1)
    status = card.get_by_role("status")
    expect(status).to_have_text("Approved by alice")
    expect(status).to_be_focused()  # not lost to the page with the button gone


def test_stop_while_pending_rejects_the_call_and_cancels_the_turn(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)

    chat.page.get_by_role("button", name="Stop").click()

    expect(chat.page.locator('.turn[data-status="cancelled"]')).to_have_count(1)
    expect(card).to_have_attribute("data-state", "rejected")
    expect(card.get_by_role("status")).to_contain_text("Rejected by alice")
    expect(card.get_by_role("button")).to_have_count(0)
    tool_card = chat.page.locator(".tool-card", has=card)
    expect(tool_card.locator(".tool-outcome-label")).to_have_text("Not run: rejected")
    expect(chat.page.locator(".turn-end-cancelled")).to_contain_text("Cancelled")
    assert saved_notes(alice) == []


def test_a_message_refused_for_a_pending_approval_is_explained(
    start_server, signed_in, alice
):
    """The composer does not send while a call waits, so the refusal (injected
    here, as a race with another tab would bring it) is rare, but it reads as
    a sentence."""
    server = start_server()
    page = signed_in(server, alice).new_page()
    sockets = []

    def route(socket):
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket(re.compile(r"/ws/"), route)
    chat = ChatPage(page, server.base_url).open()
    ask_to_save(chat)
    rejected = {"type": "rejected", "code": "approval_pending", "message": "decide"}
    sockets[-1].send(json.dumps(rejected))
    expect(page.locator("#notice")).to_have_text(
        "Decide the pending approval first, or press Stop."
    )


def test_the_chat_list_marks_other_chats_whose_calls_await_approval(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    ask_to_save(chat)
    waiting = chat.page.locator(".session-link", has_text=SAVE)
    badge = waiting.locator(".session-approval")
    expect(badge).to_have_count(1)
    expect(badge).to_be_hidden()  # the open chat has its card

    chat.page.get_by_role("button", name="New chat").click()

    expect(badge).to_have_text("awaiting approval")
    expect(badge).to_be_visible()
    waiting.click()
    pending_card(chat.page).get_by_role("button", name="Approve").click()
    chat.wait_for_runs_ended(1)
    expect(badge).to_have_count(0)
    chat.page.get_by_role("button", name="New chat").click()
    expect(waiting).to_be_visible()
    expect(badge).to_have_count(0)
