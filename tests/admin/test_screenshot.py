"""A reviewer's view in a real browser, kept as the README's screenshot."""

import pytest
from django.urls import reverse

from tests.admin.conftest import staff_with
from tests.admin.transcripts import full_transcript
from tests.factories import new_session
from tests.servers import screenshot_dir

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_staff_logs_in_and_reads_a_timeline_in_a_browser(
    live_server_process, alice, browser
):
    staff_with("reviewer", ("view_",))  # password pw-reviewer, view permissions only
    session = full_transcript(new_session(alice))
    path = reverse("admin:conversations_chatsession_change", args=[session.pk])
    base = live_server_process.base_url
    screenshot = screenshot_dir() / "admin-timeline.png"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{base}{reverse('admin:login')}?next={path}")
        page.fill("#id_username", "reviewer")
        page.fill("#id_password", "pw-reviewer")
        page.click("input[type=submit]")
        page.wait_for_selector(".review-timeline")
        timeline = page.inner_text(".review-timeline")
        assert "What is 2 + 2?" in timeline
        assert "division by zero" in timeline
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    assert screenshot.stat().st_size > 10_000
