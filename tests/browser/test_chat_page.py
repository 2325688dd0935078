"""The chat page in headless Chromium against a real server: the article's two
users, reloads and stops mid-run, a second tab, hostile text and the layouts."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.chat_page import ChatPage
from tests.servers import screenshot_dir

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

# Long enough between agent steps to reload or stop while a run is working.
SLOW_STEPS = 1.0


def test_alice_and_bob_chat_at_once_and_neither_sees_the_other(
    browser, start_server, signed_in, alice, bob
):
    server = start_server(step_delay=0.3)
    alice_context = browser.new_context()
    try:
        # Alice signs in through the form; Bob is already signed in.
        page = alice_context.new_page()
        page.goto(server.base_url + "/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-alice")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#welcome")).to_be_visible()
        alice_chat = ChatPage(page, server.base_url)
        bob_chat = ChatPage(signed_in(server, bob).new_page(), server.base_url).open()

        alice_chat.start_chat("geo")
        bob_chat.start_chat("geo")
        alice_chat.send("What is the capital of France?")
        bob_chat.send("How many moons does Mars have?")
        alice_chat.wait_for_runs_ended(1)
        bob_chat.wait_for_runs_ended(1)
        alice_chat.send("And what is its population?")
        alice_chat.wait_for_runs_ended(2)

        first, follow_up = alice_chat.answers()
        assert "Paris" in first
        assert re.search(r"Paris|France", follow_up)
        assert "population" in follow_up.lower() or "inhabitants" in follow_up.lower()
        assert "Mars" not in alice_chat.transcript_text()
        assert "moon" not in alice_chat.transcript_text().lower()
        (bob_answer,) = bob_chat.answers()
        assert re.search(r"Phobos|Deimos|two|2", bob_answer)
        assert "France" not in bob_chat.transcript_text()
        assert "Paris" not in bob_chat.transcript_text()
        expect(bob_chat.page.locator(".session-link")).to_have_count(1)
    finally:
        alice_context.close()


def test_reload_mid_run_shows_the_whole_transcript_once(start_server, signed_in, alice):
    server = start_server(step_delay=SLOW_STEPS)
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.start_chat("geo")
    chat.send("What is the capital of France?")
    expect(chat.page.locator(".tool-card")).to_have_count(1)  # the run is working

    chat.page.reload()
    expect(chat.page.locator('.turn[data-status="running"]')).to_have_count(1)
    chat.wait_for_runs_ended(1)

    rendered = chat.rendered_seqs()
    assert len(rendered) == len(set(rendered)), "an event was rendered twice"
    assert sorted(rendered) == chat.stored_seqs()
    assert "Paris" in chat.answers()[0]


def test_stop_mid_run_shows_the_run_cancelled(start_server, signed_in, alice):
    server = start_server(step_delay=SLOW_STEPS)
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.start_chat("geo")
    chat.send("What is the capital of France?")
    stop = chat.page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()

    stop.click()

    expect(chat.page.locator('.turn[data-status="cancelled"]')).to_have_count(1)
    expect(chat.page.locator(".turn-end-cancelled")).to_contain_text("Cancelled")
    expect(stop).to_be_hidden()
    chat.send("How many moons does Mars have?")  # the session takes messages again
    chat.wait_for_runs_ended(2)


def test_second_tab_follows_the_session_live(start_server, signed_in, alice):
    server = start_server(step_delay=0.3)
    context = signed_in(server, alice)
    first = ChatPage(context.new_page(), server.base_url).open()
    first.start_chat("geo")
    first.send("What is the capital of France?")
    first.wait_for_runs_ended(1)
    second = ChatPage(context.new_page(), server.base_url).open(first.session_id)
    expect(second.page.locator("#connection")).to_have_text("Live")

    first.send("And what is its population?")

    second.wait_for_runs_ended(2)
    first.wait_for_runs_ended(2)
    assert second.answers() == first.answers()
    assert second.rendered_seqs() == first.rendered_seqs() == first.stored_seqs()


def test_a_rating_is_stored_and_shown_again_after_a_reload(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.send("add 2 and 2")
    chat.wait_for_runs_ended(1)
    thumb_up = chat.page.get_by_role("button", name="Good answer")
    thumb_up.click()
    expect(thumb_up).to_have_attribute("aria-pressed", "true")
    chat.page.get_by_label("Comment on this answer").fill("clear")
    chat.page.get_by_role("button", name="Save").click()
    expect(chat.page.locator("#notice")).to_have_text("Comment saved.")

    chat.page.reload()
    chat.wait_for_runs_ended(1)
    expect(chat.page.get_by_role("button", name="Good answer")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(chat.page.get_by_role("button", name="Bad answer")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(chat.page.get_by_label("Comment on this answer")).to_have_value("clear")


def test_enter_in_the_rename_dialog_saves_and_escape_does_not(
    start_server, signed_in, alice
):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.send("add 2 and 2")
    chat.wait_for_runs_ended(1)
    chat.page.get_by_role("button", name="Rename chat").click()
    title = chat.page.get_by_label("Title")
    title.fill("Sums")
    title.press("Enter")
    expect(chat.page.locator("#rename-dialog")).not_to_be_visible()
    expect(chat.page.locator(".session-list")).to_contain_text("Sums")

    chat.page.get_by_role("button", name="Rename chat").click()
    title.fill("Not this")
    title.press("Escape")
    chat.page.reload()
    expect(chat.page.locator(".session-list")).to_contain_text("Sums")
    expect(chat.page.locator(".session-list")).not_to_contain_text("Not this")


def test_deleting_a_chat_asks_first_and_then_removes_it(start_server, signed_in, alice):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    chat.send("add 2 and 2")
    chat.wait_for_runs_ended(1)
    chat.page.get_by_role("button", name="Delete chat").click()
    dialog = chat.page.locator("#delete-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).not_to_be_visible()
    expect(chat.page.locator(".session-link")).to_have_count(1)

    chat.page.get_by_role("button", name="Delete chat").click()
    dialog.get_by_role("button", name="Delete").click()

    expect(chat.page.locator("#notice")).to_have_text("Chat deleted.")
    expect(chat.page.locator("#welcome")).to_be_visible()
    expect(chat.page.locator(".session-link")).to_have_count(0)


def test_a_refused_message_is_explained_in_words(start_server, signed_in, alice):
    """The server's rejection (here injected on the page's own socket, as a
    second tab's message racing a run gets it) reads as a sentence, not a code."""
    server = start_server()
    page = signed_in(server, alice).new_page()
    sockets = []

    def route(socket):
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket(re.compile(r"/ws/"), route)
    chat = ChatPage(page, server.base_url).open()
    chat.send("add 2 and 2")
    chat.wait_for_runs_ended(1)
    rejected = {
        "type": "rejected",
        "code": "run_in_progress",
        "message": "a run is active",
    }
    sockets[-1].send(json.dumps(rejected))
    expect(page.locator("#notice")).to_contain_text("still answering")
    expect(page.locator("#notice")).not_to_contain_text("a run is active")


def test_the_connection_badge_is_live_again_when_the_network_returns(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(server, alice)
    chat = ChatPage(context.new_page(), server.base_url).open()
    chat.send("add 2 and 2")
    chat.wait_for_runs_ended(1)
    badge = chat.page.locator("#connection")
    context.set_offline(True)
    expect(badge).to_contain_text("Offline")
    context.set_offline(False)
    expect(badge).to_have_text("Live", timeout=15_000)
    chat.send("add 3 and 3")
    chat.wait_for_runs_ended(2)


def test_on_a_touch_screen_the_hint_does_not_mention_shift_enter(
    start_server, signed_in, alice
):
    server = start_server()
    context = signed_in(
        server,
        alice,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    chat = ChatPage(context.new_page(), server.base_url).open()
    expect(chat.page.locator("#composer-hint")).to_have_text("Tap Send to send")


def test_markup_in_a_message_is_shown_as_text(start_server, signed_in, alice):
    server = start_server()
    chat = ChatPage(signed_in(server, alice).new_page(), server.base_url).open()
    dialogs = []
    chat.page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    hostile = "<img src=x onerror=alert(1)>"

    chat.send(hostile)
    chat.wait_for_runs_ended(1)

    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text(hostile)
    assert chat.page.locator("#transcript img").count() == 0
    chat.page.reload()  # and again when it comes back from the API
    chat.wait_for_runs_ended(1)
    expect(chat.page.locator(".bubble-user[data-seq]")).to_have_text(hostile)
    assert chat.page.locator("#transcript img").count() == 0
    assert dialogs == []


@pytest.mark.parametrize(
    ("name", "viewport"),
    [
        ("chat-desktop", {"width": 1280, "height": 800}),
        ("chat-phone", {"width": 390, "height": 844}),
    ],
)
def test_layout_screenshots(start_server, signed_in, alice, name, viewport):
    """The README shows these: a finished answer, then a run caught mid-flight
    at a `make run` pace, its tool cards done and its answer filling in. The
    composer must stay on screen."""
    server = start_server(OFFLINE_THINK_SECONDS="0.6", OFFLINE_WORDS_PER_SECOND="6")
    context = signed_in(server, alice, viewport=viewport, device_scale_factor=1)
    chat = ChatPage(context.new_page(), server.base_url).open()
    chat.start_chat("assistant")
    chat.send("What is the capital of Peru?")
    chat.wait_for_runs_ended(1)
    chat.send("And its population? Also, what is 17% of 2,340?")
    running = chat.page.locator('.turn[data-status="running"]')
    expect(running.locator(".tool-outcome")).to_have_count(4, timeout=20_000)
    expect(running.locator(".bubble-agent.is-draft")).to_contain_text(
        "Lima", timeout=20_000
    )
    chat.page.locator("#transcript").evaluate(
        "log => { log.scrollTop = log.scrollHeight; }"
    )

    expect(chat.page.get_by_label("Message", exact=True)).to_be_in_viewport()
    chat.page.screenshot(path=screenshot_dir() / f"{name}.png", animations="disabled")
