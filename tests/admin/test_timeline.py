"""A session's review page: the transcript as a timeline, one seq range at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.events import Final, Thought, ToolCall, ToolResult
from conversations.admin.timeline import TIMELINE_PAGE_SIZE
from conversations.engine.storage import write_batch
from conversations.models import ChatSession, Run
from tests.admin.transcripts import (
    add_turn,
    approval_transcript,
    full_transcript,
    long_transcript,
    steered_turn,
)
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)

# measured: 12 (session, user, permissions, run and feedback counts, one event
# range, the session's family for its versions, the audit record of the read)
QUERY_BUDGET = 12


def page_of(session: ChatSession, after: int | None = None) -> str:
    url = reverse("admin:conversations_chatsession_change", args=[session.pk])
    return url if after is None else f"{url}?after={after}"


def test_timeline_shows_what_the_agent_did_and_why(viewer_client, alice):
    session = full_transcript(new_session(alice))
    html = viewer_client.get(page_of(session)).text
    failed_run = Run.objects.get(session=session, status="failed")
    for fragment in [
        'review-bubble--user">What is 2 + 2?',
        'review-thought">The user wants a sum; the add tool is exact.',
        "<code>add</code>",
        "&quot;a&quot;: 2",  # the call's arguments
        'class="review-card__result">4</pre>',  # its result, on the same card
        "12.5 ms",
        "&quot;last_sum&quot;: 4",  # the state change
        'review-bubble--agent">',
        "Rated down by the user: “I wanted the working shown”",
        'review-card__error">division by zero',
        "<strong>model_error</strong> the model gave up",
        "review-event--problem",
        'review-pill--failed">failed',
        "1530 ms · 120 in / 30 out tokens",
        reverse("admin:conversations_run_change", args=[failed_run.pk]),
    ]:
        assert fragment in html, fragment


def test_review_page_states_the_sessions_counts_as_the_list_does(viewer_client, alice):
    session = full_transcript(new_session(alice))
    html = viewer_client.get(page_of(session)).text
    facts = html[html.index('<dl class="review-facts">') : html.index("</dl>")]
    for fragment in [
        "<dt>Events</dt><dd>14</dd>",
        'review-pill--succeeded">1 succeeded',
        'review-pill--failed">1 failed',
        "<dt>Tokens</dt><dd>300</dd>",
        '0 up, <span class="review-down">1 down</span>',
    ]:
        assert fragment in facts, fragment


def test_ten_thousand_event_session_opens_one_page_under_a_fixed_query_budget(
    viewer_client, alice
):
    session = long_transcript(new_session(alice), 10_000)
    assert session.last_seq == 10_000
    with CaptureQueriesContext(connection) as queries:
        first = viewer_client.get(page_of(session))
    assert first.status_code == 200
    assert len(queries) <= QUERY_BUDGET, [q["sql"] for q in queries]
    size = TIMELINE_PAGE_SIZE
    assert f'id="seq-{size}"' in first.text
    assert f'id="seq-{size + 1}"' not in first.text
    assert f"Events 1\N{EN DASH}{size} of 10000" in first.text
    last_page = 10_000 - size
    assert f"?after={size}" in first.text and f"?after={last_page}" in first.text
    with CaptureQueriesContext(connection) as queries:
        last = viewer_client.get(page_of(session, last_page))
    assert len(queries) <= QUERY_BUDGET
    assert f'id="seq-{last_page + 1}"' in last.text and 'id="seq-10000"' in last.text
    assert 'rel="next"' not in last.text
    assert f"Events {last_page + 1}\N{EN DASH}10000 of 10000" in last.text


@pytest.mark.parametrize("after", ["-5", "junk", "999999"])
def test_out_of_range_cursor_still_answers(viewer_client, alice, after):
    session = full_transcript(new_session(alice))
    assert viewer_client.get(page_of(session) + f"?after={after}").status_code == 200


def test_tool_result_on_the_next_page_is_shown_on_its_own_card(viewer_client, alice):
    session = long_transcript(new_session(alice), 600)
    # after user_message and run_started: thought, call, result from seq 3 on,
    # so the call c65 is seq 199 and its result seq 200
    html = viewer_client.get(page_of(session, 199)).text
    assert 'id="seq-200"' in html
    assert "result of c65" in html


def test_marking_reviewed_records_reviewer_and_time_and_keeps_the_counter(
    editor_client, editor, alice
):
    session = full_transcript(new_session(alice))
    write_batch(session.pk, None, [Thought("written after the page was read")])
    response = editor_client.post(
        page_of(session), {"reviewed": "on", "review_notes": "tool error expected"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.reviewed, session.reviewed_by, session.review_notes) == (
        True,
        editor,
        "tool error expected",
    )
    assert session.reviewed_at is not None
    assert session.last_seq == 15
    editor_client.post(page_of(session), {"review_notes": "reopened"})
    session.refresh_from_db()
    assert (session.reviewed, session.reviewed_by, session.reviewed_at) == (
        False,
        None,
        None,
    )


def test_timeline_shows_each_approval_and_its_decision(viewer_client, alice):
    session = approval_transcript(new_session(alice, agent="notes"))
    html = viewer_client.get(page_of(session)).text
    for fragment in [
        "<strong>Approval requested</strong> for <code>save_note</code> (c1)",
        "decided by the owner · expires 2026-12-08T10:00:00Z",
        'review-approval--edited"><div><strong>Edited</strong> by alice',
        "&quot;text&quot;: &quot;call the bank at 9&quot;",  # the edited args
        "<strong>Rejected</strong> by alice: “too risky”",
        'class="review-card__error"><strong>rejected</strong> not run: rejected',
    ]:
        assert fragment in html, fragment


def card_of(html: str, seq: int) -> str:
    """The timeline entry of one seq."""
    start = html.index(f'<li id="seq-{seq}"')
    return html[start : html.index("</li>", start)]


def test_message_sent_while_the_agent_worked_is_marked_inside_its_run(
    viewer_client, alice
):
    session = new_session(alice)
    add_turn(session, "Plan a day in Porto", [Final("Start at the Ribeira.")])
    run = steered_turn(session, "Find me a hotel", "near the river, please", "Done.")
    html = viewer_client.get(page_of(session)).text
    label = '<span class="review-steer">User, while the agent worked</span>'
    # seqs 5-10: the message, run_started, a thought, the steer, final, run_finished
    assert f"{label}near the river, please" in card_of(html, 8)
    assert "review-bubble--steer" in card_of(html, 8)
    for seq, message in [(1, "Plan a day in Porto"), (5, "Find me a hotel")]:
        assert f'review-bubble--user">{message}</div>' in card_of(html, seq)
    assert html.count(label) == 1
    # inside the run that took it: between its start and its end on the page
    link = reverse("admin:conversations_run_change", args=[run])
    assert "Run started" in card_of(html, 6) and link in card_of(html, 6)
    assert "review-event--run_finished" in card_of(html, 10)
    assert link in card_of(html, 10)
    assert html.index('id="seq-6"') < html.index(label) < html.index('id="seq-10"')


def test_mcp_results_show_text_as_text_and_structured_content_as_json(
    viewer_client, alice
):
    session = new_session(alice, agent="clock")
    now = {"timezone": "Asia/Tokyo", "datetime": "2026-12-08T01:02:03+09:00"}
    add_turn(
        session,
        "What time is it in Tokyo?",
        [
            ToolCall("c1", "mcp_clock__get_current_time", {"timezone": "Asia/Tokyo"}),
            ToolResult("c1", "mcp_clock__get_current_time", now, 12.0),
            ToolCall("c2", "mcp_docs__read", {"page": 1}),
            ToolResult("c2", "mcp_docs__read", "line one\nline <two>", 3.0),
        ],
    )
    html = viewer_client.get(page_of(session)).text
    assert "<code>mcp_clock__get_current_time</code>" in html
    assert "&quot;timezone&quot;: &quot;Asia/Tokyo&quot;" in html  # indented JSON
    assert 'class="review-card__result">line one\nline &lt;two&gt;</pre>' in html
