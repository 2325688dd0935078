"""Who may see and change what in the admin: history is evidence."""

import pytest
from django.urls import reverse

from conversations.models import AgentState, ChatSession, Event, Feedback, Run
from tests.admin.conftest import logged_in
from tests.admin.transcripts import full_transcript
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def transcript(alice) -> ChatSession:
    return full_transcript(new_session(alice))


def every_page(session: ChatSession) -> list[str]:
    run = Run.objects.filter(session=session).first()
    event = Event.objects.filter(session=session).first()
    objects = {
        "chatsession": session,
        "run": run,
        "event": event,
        "feedback": Feedback.objects.get(event__session=session),
        "agentstate": AgentState.objects.get(session=session),
    }
    pages = [reverse("admin:app_list", args=["conversations"])]
    for name, obj in objects.items():
        pages.append(reverse(f"admin:conversations_{name}_changelist"))
        pages.append(reverse(f"admin:conversations_{name}_change", args=[obj.pk]))
    pages.append(
        reverse("admin:conversations_run_changelist") + f"?session={session.pk}"
    )
    return pages


def test_view_only_staff_can_open_every_review_page(viewer_client, transcript):
    for url in every_page(transcript):
        assert viewer_client.get(url).status_code == 200, url


def test_non_staff_are_sent_to_the_admin_login(alice, transcript):
    client = logged_in(alice)
    for url in every_page(transcript):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_anonymous_visitors_are_sent_to_the_admin_login(client, transcript):
    response = client.get(every_page(transcript)[2])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", ["event", "run", "feedback", "agentstate"])
def test_superuser_cannot_add_edit_or_delete_history_one_by_one(
    superuser_client, transcript, model
):
    obj = {
        "event": Event.objects.filter(session=transcript).first(),
        "run": Run.objects.filter(session=transcript).first(),
        "feedback": Feedback.objects.first(),
        "agentstate": AgentState.objects.first(),
    }[model]
    before = type(obj).objects.count()
    add = reverse(f"admin:conversations_{model}_add")
    change = reverse(f"admin:conversations_{model}_change", args=[obj.pk])
    delete = reverse(f"admin:conversations_{model}_delete", args=[obj.pk])
    assert superuser_client.get(add).status_code == 403
    assert superuser_client.post(add, {"type": "final"}).status_code == 403
    assert superuser_client.post(change, {"type": "final"}).status_code == 403
    assert superuser_client.get(delete).status_code == 403
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = superuser_client.post(
        reverse(f"admin:conversations_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in {200, 302}
    assert type(obj).objects.count() == before
    obj.refresh_from_db()


def test_change_page_of_history_offers_no_delete_button(superuser_client, transcript):
    run = Run.objects.filter(session=transcript).first()
    page = superuser_client.get(
        reverse("admin:conversations_run_change", args=[run.pk])
    )
    assert page.status_code == 200
    assert reverse("admin:conversations_run_delete", args=[run.pk]) not in page.text


def test_staff_with_delete_permission_still_cannot_delete_a_session(
    editor_client, transcript
):
    url = reverse("admin:conversations_chatsession_delete", args=[transcript.pk])
    assert editor_client.get(url).status_code == 403
    assert editor_client.post(url, {"post": "yes"}).status_code == 403
    assert ChatSession.objects.filter(pk=transcript.pk).exists()


def test_superuser_deletes_a_whole_session_with_its_history(
    superuser_client, transcript
):
    url = reverse("admin:conversations_chatsession_delete", args=[transcript.pk])
    confirm = superuser_client.get(url)
    assert confirm.status_code == 200
    assert f"Events: {transcript.last_seq}" in confirm.text
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    assert not ChatSession.objects.filter(pk=transcript.pk).exists()
    assert not Event.objects.exists()
    assert not Run.objects.exists()


def test_superuser_can_still_delete_a_user_who_has_conversations(
    superuser_client, alice, transcript
):
    url = reverse("admin:auth_user_delete", args=[alice.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    assert not ChatSession.objects.exists()


def test_view_only_staff_cannot_mark_a_session_reviewed(viewer_client, transcript):
    url = reverse("admin:conversations_chatsession_change", args=[transcript.pk])
    response = viewer_client.post(url, {"reviewed": "on", "review_notes": "ok"})
    assert response.status_code == 403
    transcript.refresh_from_db()
    assert not transcript.reviewed


def test_sessions_cannot_be_added_in_the_admin(superuser_client):
    url = reverse("admin:conversations_chatsession_add")
    assert superuser_client.get(url).status_code == 403
