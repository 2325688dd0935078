"""The admin's Runs list: newest first, one short line each, times to the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Run
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/admin/conversations/run/"


def test_runs_are_listed_newest_first_with_times_to_the_second(viewer_client, alice):
    session = new_session(alice, "math")
    now = timezone.now().replace(microsecond=0)
    Run.objects.create(
        session=session,
        message="older",
        status="succeeded",
        created_at=now - timedelta(hours=1),
    )
    newer = Run.objects.create(
        session=session,
        message="newer " * 30,
        status="cancelled",
        created_at=now,
        cancelled_by="alice",
    )
    page = viewer_client.get(LIST).content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.index("newer") < rows.index("older")
    assert f"{timezone.localtime(newer.created_at):%Y-%m-%d %H:%M:%S}" in rows
    assert f"run {newer.id}" not in rows  # the label is a time, not a UUID
    assert "…" in rows  # a long message is cut to one line
    detail = viewer_client.get(f"{LIST}{newer.id}/change/").content.decode()
    assert "alice" in detail and "cancelled run of" in detail
