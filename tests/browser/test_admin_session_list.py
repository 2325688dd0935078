"""The admin's session list in headless Chromium: every column on screen at a
desktop width, the filters beside it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.admin.conftest import staff_with
from tests.admin.transcripts import add_turn, full_transcript
from tests.factories import new_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

LIST = reverse("admin:conversations_chatsession_changelist")


def test_reviewed_column_is_not_cut_off_at_1280px(start_server, signed_in, alice):
    reviewer = staff_with("reviewer", ("view_",))
    reviewed = full_transcript(new_session(alice))
    reviewed.set_reviewed(True, by=reviewer)
    reviewed.save(update_fields=reviewed.REVIEW_FIELDS)
    # The widest row a reviewer meets: a long agent name, every problem status.
    troubled = full_transcript(new_session(alice, agent="researcher"))
    add_turn(troubled, "Stop that", status="cancelled")
    add_turn(troubled, "Try again", status="interrupted")
    new_session(alice)  # untitled, listed by its agent and id
    server = start_server()
    context = signed_in(server, reviewer, viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(server.base_url + LIST)

    expect(page.locator("#changelist-filter")).to_be_visible()
    results = page.locator("#changelist-form .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    shown = results.bounding_box()
    cells = page.locator("#result_list td.field-reviewed")
    expect(cells).to_have_count(3)
    for cell in cells.all():
        box = cell.bounding_box()
        assert shown["x"] <= box["x"]
        assert box["x"] + box["width"] <= shown["x"] + shown["width"]
        assert cell.evaluate("td => td.scrollWidth <= td.clientWidth")
    expect(cells.locator('img[alt="True"]')).to_have_count(1)
    expect(cells.locator('img[alt="False"]')).to_have_count(2)
