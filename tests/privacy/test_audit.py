"""The audit trail: staff reads of transcripts, exports, staff decisions and
erasures are recorded (who, what, which session, when), listed read-only in the
admin and exported as JSON Lines without any transcript content."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from conversations.engine import approvals
from conversations.models import AuditRecord
from tests.admin.conftest import logged_in
from tests.admin.transcripts import add_turn, requested_approvals
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "my bank PIN is 4321"


def session_page(session) -> str:
    return reverse("admin:conversations_chatsession_change", args=[session.pk])


def test_a_staff_read_of_a_transcript_is_recorded(viewer, alice):
    session = new_session(alice)
    add_turn(session, SECRET)
    assert logged_in(viewer).get(session_page(session)).status_code == 200
    (record,) = AuditRecord.objects.all()
    assert (record.actor, record.actor_name, record.action) == (
        viewer,
        "viewer",
        "read_transcript",
    )
    assert (record.session_id, record.subject_user_id) == (session.pk, alice.pk)
    assert SECRET not in json.dumps(record.detail)


def test_each_exported_session_is_recorded_with_its_format(viewer, alice):
    sessions = [new_session(alice), new_session(alice)]
    response = logged_in(viewer).post(
        reverse("admin:conversations_chatsession_changelist"),
        {"action": "export_jsonl", "_selected_action": [s.pk for s in sessions]},
    )
    assert response.status_code == 200
    records = AuditRecord.objects.filter(action="export")
    assert {r.session_id for r in records} == {s.pk for s in sessions}
    assert {r.detail["format"] for r in records} == {"jsonl"}


def test_staff_decisions_are_recorded_and_an_owners_own_are_not(
    alice, decider, staff_notes
):
    session = new_session(alice, agent="notes")
    staff, own = requested_approvals(session, ["save_note", "save_note"], "staff")
    approvals.decide(staff.pk, decider, False, reason="no")
    (record,) = AuditRecord.objects.filter(action="decide")
    assert record.actor == decider and record.session_id == session.pk
    assert record.detail == {"approval": str(staff.pk), "decision": "rejected"}
    own.approver = "owner"
    own.save(update_fields=["approver"])
    approvals.decide(own.pk, alice, True)
    assert AuditRecord.objects.filter(action="decide").count() == 1


def test_records_are_read_only_in_the_admin_even_for_superusers(
    superuser, viewer, alice
):
    session = new_session(alice)
    logged_in(viewer).get(session_page(session))
    record = AuditRecord.objects.get()
    client = logged_in(superuser)
    change = reverse("admin:conversations_auditrecord_change", args=[record.pk])
    page = client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(change, {"actor_name": "nobody"})
    delete = reverse("admin:conversations_auditrecord_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    listing = client.get(reverse("admin:conversations_auditrecord_changelist"))
    assert b"delete_selected" not in listing.content
    assert b"export_jsonl" in listing.content
    record.refresh_from_db()
    assert record.actor_name == "viewer"


def test_records_export_as_json_lines(superuser, viewer, alice):
    session = new_session(alice)
    add_turn(session, SECRET)
    for _ in range(2):
        logged_in(viewer).get(session_page(session))
    ids = list(AuditRecord.objects.values_list("pk", flat=True))
    response = logged_in(superuser).post(
        reverse("admin:conversations_auditrecord_changelist"),
        {"action": "export_jsonl", "_selected_action": ids},
    )
    body = b"".join(response.streaming_content).decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert len(lines) == 2 and SECRET not in body
    assert lines[0]["actor"] == "viewer" and lines[0]["action"] == "read_transcript"
    assert lines[0]["session"] == str(session.pk)
    assert lines[0]["subject_user"] == alice.pk
    assert lines[0]["at"] <= lines[1]["at"]
