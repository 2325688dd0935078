"""Conversation control on the chat page, in headless Chromium against a real
server: editing a message and regenerating an answer make a new version of the
turn ("2 / 2", Previous and Next version, in place, kept over a reload and live
in a second tab), the chat list shows the chat once and reopens the version last
viewed, and a message sent while a run works reaches that run inside its turn."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import ChatPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def versions(page: Page):
    """The "i / n" counter of the page's (here: only) turn with versions."""
    return page.get_by_role("group", name="Versions of this turn").locator(
        ".versions-count"
    )


def ask(chat: ChatPage, text: str) -> str:
    """Send `text` to the math agent in a new chat; returns the chat's id."""
    chat.start_chat("math")
    chat.send(text)
    chat.wait_for_runs_ended(1)
    return chat.session_id


def edit_first_message(chat: ChatPage, text: str) -> None:
    chat.page.get_by_role("button", name="Edit message").click()
    box = chat.page.get_by_role("textbox", name="Edited message")
    expect(box).to_be_focused()
    box.fill(text)
    box.press("Enter")


def expect_session_other_than(chat: ChatPage, session_id: str) -> str:
    expect(chat.page).not_to_have_url(re.compile(re.escape(session_id)))
    return chat.session_id


def test_an_edited_message_is_a_new_version_and_the_original_is_one_step_back(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    original = ask(chat, "add 2 and 2")
    (first_answer,) = chat.answers()
    expect(versions(chat.page)).to_have_count(0)  # one version: no counter

    edit_first_message(chat, "add 3 and 3")

    fork = expect_session_other_than(chat, original)
    chat.wait_for_runs_ended(1)
    expect(versions(chat.page)).to_have_text("2 / 2")
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text("add 3 and 3")
    (edited_answer,) = chat.answers()
    assert "6" in edited_answer and edited_answer != first_answer
    # One chat in the list, marked while its fork is open.
    link = chat.page.locator(".session-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("aria-current", "page")

    chat.page.get_by_role("button", name="Previous version").click()

    expect(chat.page).to_have_url(re.compile(re.escape(original)))
    expect(versions(chat.page)).to_have_text("1 / 2")
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text("add 2 and 2")
    assert chat.answers() == [first_answer]
    expect(chat.page.get_by_role("button", name="Next version")).to_be_focused()
    expect(link).to_have_attribute("aria-current", "page")

    chat.page.get_by_role("button", name="Next version").click()
    expect(chat.page).to_have_url(re.compile(re.escape(fork)))
    chat.page.reload()  # the version comes back from the server
    chat.wait_for_runs_ended(1)
    expect(versions(chat.page)).to_have_text("2 / 2")
    assert chat.answers() == [edited_answer]
    assert chat.rendered_seqs() == chat.stored_seqs()


def test_going_back_to_a_version_returns_to_where_it_was_carried_on(
    start_server, signed_in, alice
):
    """Three versions of the first turn; the second was carried on and its own
    second turn edited, so moving to that version opens the latest of those."""
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    edit = chat.page.get_by_role("button", name="Edit message")
    counters = chat.page.locator(".turn .versions-count")
    original = ask(chat, "add 2 and 2")
    edit_first_message(chat, "add 3 and 3")
    expect_session_other_than(chat, original)
    chat.wait_for_runs_ended(1)
    chat.send("add 4 and 4")
    chat.wait_for_runs_ended(2)
    edit.last.click()
    box = chat.page.get_by_role("textbox", name="Edited message")
    box.fill("add 5 and 5")
    box.press("Enter")
    expect(counters).to_have_text(["2 / 2", "2 / 2"])
    carried_on = chat.session_id
    chat.page.get_by_role("button", name="Previous version").first.click()
    expect(chat.page).to_have_url(re.compile(re.escape(original)))
    edit_first_message(chat, "add 6 and 6")
    expect(counters).to_have_text(["3 / 3"])

    chat.page.get_by_role("button", name="Previous version").click()

    expect(chat.page).to_have_url(re.compile(re.escape(carried_on)))
    expect(counters).to_have_text(["2 / 3", "2 / 2"])
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text(
        ["add 3 and 3", "add 5 and 5"]
    )
    expect(
        chat.page.get_by_role("button", name="Previous version").first
    ).to_be_focused()


def test_the_chat_list_opens_the_version_last_viewed(start_server, signed_in, alice):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    original = ask(chat, "add 2 and 2")
    edit_first_message(chat, "add 3 and 3")
    fork = expect_session_other_than(chat, original)
    expect(versions(chat.page)).to_have_text("2 / 2")
    link = chat.page.locator(".session-link")
    expect(link).to_have_attribute("href", f"?session={original}")

    chat.page.get_by_role("button", name="New chat").click()
    expect(chat.page.locator("#welcome")).to_be_visible()
    link.click()

    expect(chat.page).to_have_url(re.compile(re.escape(fork)))
    expect(versions(chat.page)).to_have_text("2 / 2")
    chat.page.get_by_role("button", name="Previous version").click()
    expect(versions(chat.page)).to_have_text("1 / 2")
    chat.page.get_by_role("button", name="New chat").click()
    link.click()
    expect(chat.page).to_have_url(re.compile(re.escape(original)))
    expect(versions(chat.page)).to_have_text("1 / 2")


def test_escape_leaves_the_message_as_it_was(start_server, signed_in, alice):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    original = ask(chat, "add 2 and 2")
    chat.page.get_by_role("button", name="Edit message").click()
    box = chat.page.get_by_role("textbox", name="Edited message")
    expect(box).to_have_value("add 2 and 2")
    box.fill("something else")

    box.press("Escape")

    expect(box).to_have_count(0)
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text("add 2 and 2")
    expect(chat.page.get_by_role("button", name="Edit message")).to_be_focused()
    assert chat.session_id == original


def test_regenerating_an_answer_makes_a_second_version_of_it(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    original = ask(chat, "add 2 and 2")
    (answer,) = chat.answers()

    chat.page.get_by_role("button", name="Regenerate answer").click()

    expect_session_other_than(chat, original)
    chat.wait_for_runs_ended(1)
    turn = chat.page.locator(".turn")
    expect(turn.locator(".turn-foot .versions-count")).to_have_text("2 / 2")
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text("add 2 and 2")
    assert chat.answers() == [answer]  # the offline model says it the same way
    chat.page.get_by_role("button", name="Previous version").click()
    expect(chat.page).to_have_url(re.compile(re.escape(original)))
    expect(turn.locator(".turn-foot .versions-count")).to_have_text("1 / 2")


def test_a_second_tab_on_the_original_sees_the_new_version_appear(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(server, alice)
    first = ChatPage(context.new_page(), server.base_url).open()
    original = ask(first, "add 2 and 2")
    second = ChatPage(context.new_page(), server.base_url).open(original)
    second.wait_for_runs_ended(1)
    expect(second.page.locator("#connection")).to_have_text("Live")
    expect(versions(second.page)).to_have_count(0)

    edit_first_message(first, "add 3 and 3")

    expect(versions(second.page)).to_have_text("1 / 2")
    assert second.session_id == original
    second.page.get_by_role("button", name="Next version").click()
    expect(second.page.locator(".bubble-user[data-seq]")).to_have_text("add 3 and 3")
    expect(versions(second.page)).to_have_text("2 / 2")


def test_a_message_sent_while_the_agent_works_reaches_it_inside_the_turn(
    start_server, signed_in, alice
):
    # Each model turn after the first waits a while, so the run is surely still
    # working when the second message goes out.
    server = start_server(step_delay=0.5)
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.start_chat("steered")
    chat.send("first")
    turn = chat.page.locator(".turn")
    expect(turn.locator(".tool-card").first).to_be_visible()
    expect(turn).to_have_attribute("data-status", "running")
    box = chat.page.get_by_label("Message", exact=True)
    expect(chat.page.locator("#composer-hint")).to_contain_text("next step")
    expect(box).to_have_attribute("placeholder", re.compile("next step"))

    chat.send("second")

    note = turn.locator(".step-steer")
    expect(note).to_contain_text("sent while working")
    expect(note.locator(".bubble-user")).to_have_text("second")
    chat.wait_for_runs_ended(1)
    expect(chat.page.locator(".turn")).to_have_count(1)
    assert chat.answers() == ["heard: first | second"]
    # The note is the person's, not folded away with the agent's thinking.
    expect(chat.page.locator(".step-steer")).to_be_visible()
    # Only the message that started the turn can be edited.
    expect(chat.page.get_by_role("button", name="Edit message")).to_have_count(1)
    chat.page.reload()
    chat.wait_for_runs_ended(1)
    expect(chat.page.locator(".turn .step-steer .bubble-user")).to_have_text("second")
    # Every event shown once; a note sent while a call ran sits after that call's
    # card (the run hears it after the result, which the card holds).
    assert sorted(chat.rendered_seqs()) == chat.stored_seqs()
