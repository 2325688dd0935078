"""The sessions list's run-status filter reads as English."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("admin:conversations_chatsession_changelist")


def test_run_status_choices_take_the_right_article(viewer_client):
    page = viewer_client.get(LIST).content.decode()
    assert "has an interrupted run" in page
    assert "has a failed run" in page
    assert "has a interrupted run" not in page
