"""Remembered consent and settled calls on the chat page, in headless Chromium
against a real server: "Always for this chat" and "Always for this agent" on an
approval card let later save_note calls of the `notes` agent run without asking,
the "Allowed tools" dialog lists that consent and revokes it, and a call nobody
decided in time, or one a dead process left in doubt, says so on its card."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from conversations.engine import approvals
from conversations.models import Approval, Grant, Run
from tests.browser.chat_page import ChatPage
from tests.browser.test_chat_approvals import (
    SAVE,
    ask_to_save,
    pending_card,
    saved_notes,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

# The server's sweep (expiry, recovery of runs nobody drives) every 0.5 s, and a
# run without a heartbeat for 3 s counts as stopped: fast enough for a test,
# slow enough that a busy machine's late heartbeat does not stop a live run.
FAST_SWEEP = {
    "RUN_SWEEP_SECONDS": "0.5",
    "RUN_HEARTBEAT_SECONDS": "0.5",
    "RUN_STALE_SECONDS": "3",
}


def allowed_before(page: Page):
    """The newest approval card, once it says a kept consent approved it."""
    card = page.locator(".approval").last
    expect(card).to_have_attribute("data-state", "approved")
    expect(card.get_by_role("status")).to_have_text("Approved: you allowed this before")
    expect(card.get_by_role("button")).to_have_count(0)
    return card


def count_pending_cards(page: Page) -> None:
    """From now on, count the times a task of the page ended with an approval
    card pending (a mutation observer runs at the end of each task): a card
    that was there long enough to be painted, Approve buttons and all."""
    page.evaluate(
        """() => {
          window.pendingCardsSeen = 0;
          new MutationObserver(() => {
            if (document.querySelector('.approval[data-state="pending"]')) {
              window.pendingCardsSeen += 1;
            }
          }).observe(document.getElementById("transcript"), {
            subtree: true, childList: true, attributes: true,
          });
        }"""
    )


def new_chat(chat: ChatPage, text: str) -> None:
    chat.page.get_by_role("button", name="New chat").click()
    chat.start_chat("notes")
    chat.send(text)


def open_allowed_tools(page: Page):
    page.get_by_role("button", name="Allowed tools").click()
    dialog = page.get_by_role("dialog", name="Allowed tools")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    return dialog


def test_always_for_this_chat_runs_later_calls_there_without_asking(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)

    card.get_by_role("button", name="Always for this chat").click()

    chat.wait_for_runs_ended(1)
    expect(card.get_by_role("status")).to_have_text(
        "Approved by alice, and allowed from now on"
    )
    count_pending_cards(chat.page)
    chat.send("Save a note: buy milk")
    chat.wait_for_runs_ended(2)
    allowed_before(chat.page)
    assert chat.page.evaluate("window.pendingCardsSeen") == 0
    tool_card = chat.page.locator(".tool-card").last
    expect(tool_card.locator(".tool-outcome-label")).to_have_text("Result")
    assert chat.answers()[-1] == "Saved your note: “buy milk”."
    assert saved_notes(alice) == ["call the bank", "buy milk"]

    new_chat(chat, "Save a note: and again")  # another chat still asks
    pending_card(chat.page)


def test_always_for_this_agent_runs_calls_in_a_new_chat_without_asking(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)

    card.get_by_role("button", name="Always for this agent").click()

    chat.wait_for_runs_ended(1)
    chat.page.get_by_role("button", name="New chat").click()
    count_pending_cards(chat.page)
    chat.start_chat("notes")
    chat.send("Save a note: buy milk")
    chat.wait_for_runs_ended(1)
    allowed_before(chat.page)
    assert chat.page.evaluate("window.pendingCardsSeen") == 0
    assert chat.answers() == ["Saved your note: “buy milk”."]
    assert saved_notes(alice) == ["call the bank", "buy milk"]


def test_allowed_tools_lists_each_consent_and_a_revoked_one_asks_again(
    start_server, signed_in, alice
):
    server = start_server()
    page = signed_in(server, alice).new_page()
    chat = ChatPage(page, server.base_url).open()
    ask_to_save(chat).get_by_role("button", name="Always for this chat").click()
    chat.wait_for_runs_ended(1)
    new_chat(chat, "Save a note: buy milk")
    pending_card(page).get_by_role("button", name="Always for this agent").click()
    chat.wait_for_runs_ended(1)

    dialog = open_allowed_tools(page)

    rows = dialog.get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("save_note")
    expect(rows.nth(0)).to_contain_text("in all your chats with notes")
    expect(rows.nth(0)).to_contain_text("allowed just now")
    expect(rows.nth(1)).to_contain_text(f"in the chat “{SAVE}”")
    expect(dialog.get_by_text("No tools are always allowed")).to_be_hidden()

    revoke = dialog.get_by_role("button", name="Revoke save_note in all your chats")
    revoke.click()

    expect(rows).to_have_count(1)
    expect(dialog.get_by_role("status")).to_have_text(
        "Revoked: save_note asks again in all your chats with notes."
    )
    expect(rows.get_by_role("button", name="Revoke")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Allowed tools")).to_be_focused()

    chat.send("Save a note: and again")  # this chat had only the agent's consent
    pending_card(page).get_by_role("button", name="Approve").click()
    chat.wait_for_runs_ended(2)

    dialog = open_allowed_tools(page)
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name="Revoke").click()
    expect(rows).to_have_count(0)
    expect(dialog.get_by_text("No tools are always allowed")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert not Grant.objects.filter(user=alice).exists()


def test_an_approval_nobody_decided_in_time_shows_as_expired(
    start_server, signed_in, alice
):
    server = start_server(**FAST_SWEEP)
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)

    Approval.objects.filter(status="pending").update(expires_at=timezone.now())

    expect(card).to_have_attribute("data-state", "expired", timeout=15_000)
    expect(card.get_by_role("status")).to_have_text("Expired: nobody decided in time")
    expect(card.get_by_role("button")).to_have_count(0)
    tool_card = chat.page.locator(".tool-card", has=card)
    expect(tool_card.locator(".tool-outcome-label")).to_have_text("Not run: expired")
    expect(tool_card.locator(".tool-timing")).to_have_text("not run")
    chat.wait_for_runs_ended(1)
    assert saved_notes(alice) == []


def test_a_call_its_process_died_in_says_it_may_or_may_not_have_happened(
    start_server, signed_in, alice
):
    server = start_server(**FAST_SWEEP)
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    card = ask_to_save(chat)
    approval = Approval.objects.get(status="pending")

    # Approved and started by a process that then died before the result: no
    # process drives the run, so the sweep finds it without a heartbeat.
    with transaction.atomic():
        approvals.decide(approval.pk, alice, True)
        Approval.objects.filter(pk=approval.pk).update(execution="started")

    tool_card = chat.page.locator(".tool-card", has=card)
    outcome = tool_card.locator(".tool-outcome")
    expect(outcome).to_have_attribute("data-code", "in_doubt", timeout=15_000)
    expect(outcome.locator(".tool-outcome-label")).to_have_text(
        "In doubt: it may or may not have happened"
    )
    expect(outcome.locator(".tool-value")).to_contain_text("not run again by itself")
    expect(tool_card.locator(".tool-timing")).to_have_text("in doubt")
    expect(card.get_by_role("status")).to_have_text("Approved by alice")
    chat.wait_for_runs_ended(1)
    expect(chat.page.locator(".turn-end")).to_contain_text("Interrupted")
    assert Run.objects.get(pk=approval.run_id).status == "interrupted"
    assert saved_notes(alice) == []
