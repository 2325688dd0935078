"""A reviewer's view in a real browser, kept as the README's screenshot."""

from pathlib import Path

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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_staff_logs_in_and_reads_a_timeline_in_a_browser(live_server_process, alice):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    # Everything touching the database happens before the browser starts: the sync
    # Playwright API runs an event loop, where Django refuses ORM calls.
    staff_with("reviewer", ("view_",))  # password pw-reviewer, view permissions only
    session = full_transcript(new_session(alice))
    path = reverse("admin:conversations_chatsession_change", args=[session.pk])
    base = live_server_process.base_url
    screenshot = screenshot_dir() / "admin-timeline.png"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
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
            browser.close()
    assert screenshot.stat().st_size > 10_000
