"""Erasure deletes everything of a user: a marker written into every kind of
their data is found in no table of the database afterwards (SQLite here,
PostgreSQL in CI's second pass), while other users' data stays."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agents.events import Final, Thought, ToolCall, ToolResult
from conversations import audit
from conversations.models import (
    AgentState,
    Approval,
    AuditRecord,
    Budget,
    BudgetSpend,
    ChatSession,
    Event,
    Feedback,
    Grant,
)
from tests.admin.conftest import logged_in
from tests.admin.transcripts import add_turn, steered_turn
from tests.api.conftest import token_client
from tests.factories import make_user, new_session

pytestmark = pytest.mark.django_db(transaction=True)

MARK = "zqxmark7731"


def everything_of(user) -> ChatSession:
    """The marker in every kind of data a user has: account, sessions and their
    messages, thoughts, tool calls and results, answers, steering, state of
    both scopes, feedback, approvals, grants, tokens, staff notes and the
    admin's log about them, and the user's own actions as staff."""
    user.email, user.first_name, user.last_name = (f"{MARK}@example.com",) + (MARK,) * 2
    user.is_staff = True
    user.save()
    session = new_session(user, agent="notes")
    session.title, session.review_notes = f"chat {MARK}", f"staff note {MARK}"
    session.save(update_fields=["title", "review_notes"])
    add_turn(
        session,
        f"remember {MARK}",
        [
            Thought(f"thinking about {MARK}"),
            ToolCall("c1", "save_note", {"text": MARK}),
            ToolResult("c1", "save_note", {"saved": MARK}, 2.0),
            Final(f"Saved {MARK}"),
        ],
    )
    steered_turn(session, "first", f"steer {MARK}", f"answer {MARK}")
    final = Event.objects.filter(session=session, type="final").first()
    Feedback.objects.create(event=final, rating=-1, comment=f"bad {MARK}")
    AgentState.objects.create(
        scope="session", agent="notes", session=session, key=MARK, value=MARK
    )
    AgentState.objects.create(
        scope="user", agent="notes", user=user, key=f"k{MARK}", value={"v": MARK}
    )
    run = session.runs.first()
    approval = Approval.objects.create(
        id="0b5cfc3c-8d3e-4a57-9d7c-1d7d63a0b0ff",
        session=session,
        run=run,
        agent="notes",
        call_id=f"call-{MARK}",
        tool="save_note",
        args={"text": MARK},
        approver="owner",
        expires_at=timezone.now() + timedelta(days=1),
        reason=f"because {MARK}",
    )
    Grant.objects.create(
        user=user, agent="notes", scope="agent", tool="save_note", schema=MARK
    )
    Token.objects.create(user=user)
    LogEntry.objects.create(
        user=make_user("reviewer"),
        content_type=ContentType.objects.get_for_model(ChatSession),
        object_id=str(session.pk),
        object_repr=str(session),
        action_flag=CHANGE,
        change_message=f"reviewed {MARK}",
    )
    other = new_session(make_user("carol"), agent="geo")
    audit.record(user, audit.Action.READ_TRANSCRIPT, session_id=other.pk)
    assert approval.pk
    Budget.objects.create(
        name=f"cap {MARK}",
        scope="user",
        user=user,
        period="day",
        unit="tokens",
        limit=9,
    )
    each = Budget.objects.create(
        name="each", scope="each_user", period="day", unit="tokens", limit=9
    )
    BudgetSpend.objects.create(
        budget=each, subject=str(user.pk), period_start=timezone.now().date(), spent=3
    )
    return session


def tables_holding(text: str) -> list[str]:
    """Every table of the database with a row holding `text` in any column."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            if any(text in str(row) for row in cursor.fetchall()):
                found.append(table)
    return found


def test_erasing_yourself_leaves_your_marker_in_no_table(django_user_model):
    user = make_user(f"user-{MARK}")
    everything_of(user)
    bob = make_user("bob")
    add_turn(new_session(bob, agent="geo"), "what is the capital of Peru?")
    assert len(tables_holding(MARK)) >= 10  # the marker really is everywhere

    response = token_client(Token.objects.get(user=user).key).post(
        "/api/me/erase/", {"confirm": f"user-{MARK}"}, format="json"
    )

    assert response.status_code == 200, response.content
    erased = response.json()["erased"]
    assert erased["sessions"] == 1 and erased["api_tokens"] == 1
    assert erased["user_state_keys"] == 1 and erased["grants"] == 1
    assert erased["budgets"] == 1 and erased["budget_spends"] == 1
    assert not BudgetSpend.objects.filter(subject=str(user.pk)).exists()
    assert tables_holding(MARK) == []
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    assert ChatSession.objects.filter(owner=bob).count() == 1  # others' data stays
    (record,) = AuditRecord.objects.filter(action="erase_user")
    assert record.subject_user_id == user.pk
    assert record.actor_name == f"erased user #{user.pk}"
    assert record.detail["events"] == erased["events"]
    (read,) = AuditRecord.objects.filter(action="read_transcript")
    assert read.actor_name == f"erased user #{user.pk}"  # what they did stays


def test_erasure_needs_your_own_username_and_loses_nothing_otherwise(alice, api):
    session = new_session(alice)
    for body in ({}, {"confirm": "bob"}, {"confirm": ""}, {"confirm": ["alice"]}):
        response = api.post("/api/me/erase/", body, format="json")
        assert response.status_code == 400, body
        assert "confirm" in response.json()["errors"]
    assert ChatSession.objects.filter(pk=session.pk).exists()
    assert Client().post("/api/me/erase/", {"confirm": "alice"}).status_code in (
        401,
        403,
    )


def test_staff_erase_users_from_the_admin_after_a_confirmation(superuser, alice):
    everything_of(alice)
    client = logged_in(superuser)
    url = reverse("admin:auth_user_changelist")
    form = {"action": "erase_users", "_selected_action": [alice.pk]}
    page = client.post(url, form)
    assert page.status_code == 200
    assert b"Erase these users?" in page.content and b"Events: " in page.content
    assert get_user_model().objects.filter(pk=alice.pk).exists()  # not yet

    client.post(url, {**form, "post": "yes"})

    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert tables_holding(MARK) == []
    (record,) = AuditRecord.objects.filter(action="erase_user")
    assert (record.actor_name, record.subject_user_id) == ("root", alice.pk)


def test_only_superusers_may_erase_in_the_admin(viewer, alice):
    page = logged_in(viewer).get(reverse("admin:auth_user_changelist"))
    assert b"erase_users" not in page.content


def test_operators_erase_with_manage_py(alice):
    everything_of(alice)
    out = StringIO()
    call_command("erase_user", "alice", "--dry-run", stdout=out)
    assert out.getvalue().startswith("would erase alice: 1 sessions")
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    call_command("erase_user", "alice", stdout=out)
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert tables_holding(MARK) == []
    (record,) = AuditRecord.objects.filter(action="erase_user")
    assert record.actor_name == "the system"
    with pytest.raises(CommandError, match="no user named 'alice'"):
        call_command("erase_user", "alice")
