"""Forks in the admin: a session's page says where it came from and lists its
versions, the list tells originals from forks, in queries that do not grow with
the family."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.events import Final
from conversations.admin.timeline import session_url
from conversations.engine.forks import fork_session, run_boundaries
from conversations.engine.service import delete_session
from conversations.models import ChatSession
from tests.admin.transcripts import add_turn
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("admin:conversations_chatsession_changelist")


@dataclass
class Family:
    """An original of two turns, a child forked after its first turn and given a
    turn of its own, a grandchild forked from the child at its end, and a
    sibling forked from the original before its first message."""

    original: ChatSession
    child: ChatSession
    grandchild: ChatSession
    sibling: ChatSession
    child_at: int
    grandchild_at: int


def answered(session: ChatSession, question: str) -> ChatSession:
    add_turn(session, question, [Final(f"the answer to {question}")])
    session.refresh_from_db()
    return session


@pytest.fixture
def family(alice) -> Family:
    original = new_session(alice)
    original.title = "Trip to Lisbon"
    original.save(update_fields=["title"])
    answered(original, "Where should I stay?")
    answered(original, "And where should I eat?")
    child_at = run_boundaries(original.pk)[1]
    child = answered(
        fork_session(original.pk, child_at, title="Lisbon, take two"), "And bars?"
    )
    grandchild_at = run_boundaries(child.pk)[-1]
    grandchild = fork_session(child.pk, grandchild_at, title="Lisbon, take three")
    sibling = fork_session(original.pk, 0, title="Lisbon from scratch")
    return Family(original, child, grandchild, sibling, child_at, grandchild_at)


def page(client, session: ChatSession) -> str:
    response = client.get(session_url(session.pk))
    assert response.status_code == 200
    return response.text


def versions(html: str) -> str:
    """The page's Versions section, its runs of whitespace made single spaces."""
    start = html.index('<section class="review-versions"')
    return " ".join(html[start : html.index("</section>", start)].split())


def family_rows(html: str) -> list[str]:
    """The rows of the all-versions table, oldest first."""
    table = versions(html).split("<tbody>")[1].split("</tbody>")[0]
    return [row.split("</tr>")[0] for row in table.split("<tr")[1:]]


def test_fork_page_links_to_its_parent_at_the_fork_point(viewer_client, family):
    section = versions(page(viewer_client, family.child))
    at = family.child_at
    assert (
        f'Forked from <a href="{session_url(family.original.pk)}">Trip to Lisbon</a>'
        f' (#1) at <a href="{session_url(family.original.pk, at)}">'
        f"event {at}</a>: events 1\N{EN DASH}{at} are a copy of its transcript."
    ) in section


def test_grandchild_page_links_to_the_child_not_the_original(viewer_client, family):
    section = versions(page(viewer_client, family.grandchild))
    at = family.grandchild_at
    assert f'Forked from <a href="{session_url(family.child.pk)}">' in section
    assert f'<a href="{session_url(family.child.pk, at)}">event {at}</a>' in section
    assert "No forks of this session." in section


def test_fork_at_zero_says_it_copied_nothing(viewer_client, family):
    section = versions(page(viewer_client, family.sibling))
    assert "event 0</a>, before its first message." in section


def test_original_page_lists_its_direct_forks_with_their_fork_points(
    viewer_client, family
):
    section = versions(page(viewer_client, family.original))
    assert "The original of this chat." in section
    forks = section.split('<ul class="review-versions__forks">')[1].split("</ul>")[0]
    items = forks.split("<li>")[1:]
    # by fork point: the sibling at 0, then the child; the grandchild is the
    # child's fork, not the original's
    assert [item.split("</a>")[0] for item in items] == [
        f'<a href="{session_url(family.sibling.pk)}">Lisbon from scratch',
        f'<a href="{session_url(family.child.pk)}">Lisbon, take two',
    ]
    assert "forked at event 0 · created" in items[0]
    assert f"forked at event {family.child_at} · created" in items[1]
    assert "Forks of this session (2)" in section
    assert family.child.created_at.strftime("%Y-%m-%d %H:%M:%S") in items[1]


def test_child_page_lists_the_grandchild_as_its_fork(viewer_client, family):
    section = versions(page(viewer_client, family.child))
    forks = section.split('<ul class="review-versions__forks">')[1].split("</ul>")[0]
    assert forks.count("<li>") == 1
    assert f'<a href="{session_url(family.grandchild.pk)}">Lisbon, take three' in forks
    assert f"forked at event {family.grandchild_at}" in forks


@pytest.mark.parametrize("member", ["original", "child", "grandchild", "sibling"])
def test_every_version_links_to_all_the_others_oldest_first(
    viewer_client, family, member
):
    current = getattr(family, member)
    rows = family_rows(page(viewer_client, current))
    oldest_first = [family.original, family.child, family.grandchild, family.sibling]
    assert len(rows) == 4
    for number, (row, session) in enumerate(
        zip(rows, oldest_first, strict=True), start=1
    ):
        assert f"<td>{number}</td>" in row
        link = f'<a href="{session_url(session.pk)}">'
        if session.pk == current.pk:
            assert "(this session)" in row and link not in row
        else:
            assert link in row and "(this session)" not in row
    assert "<td>original</td>" in rows[0]
    assert f"<td>#1 at event {family.child_at}</td>" in rows[1]
    assert f"<td>#2 at event {family.grandchild_at}</td>" in rows[2]
    assert "<td>#1 at event 0</td>" in rows[3]


def test_fork_of_a_deleted_session_says_so(viewer_client, family):
    delete_session(family.child.pk)
    section = versions(page(viewer_client, family.grandchild))
    assert (
        f"Forked from a deleted session at event {family.grandchild_at}: "
        f"events 1\N{EN DASH}{family.grandchild_at} are a copy of its transcript."
    ) in section
    assert session_url(family.child.pk) not in section
    rows = family_rows(page(viewer_client, family.grandchild))
    # the family outlives the deleted member: the original is still linked
    assert len(rows) == 3
    assert f'<a href="{session_url(family.original.pk)}">' in rows[0]
    assert f"<td>a deleted session at event {family.grandchild_at}</td>" in rows[1]


def test_versions_outlive_a_deleted_original(viewer_client, family):
    delete_session(family.original.pk)
    section = versions(page(viewer_client, family.sibling))
    assert "Forked from a deleted session at event 0, before its first" in section
    rows = family_rows(page(viewer_client, family.sibling))
    assert len(rows) == 3
    assert f'<a href="{session_url(family.child.pk)}">' in rows[0]
    assert f'<a href="{session_url(family.grandchild.pk)}">' in rows[1]
    assert "(this session)" in rows[2]


def test_an_original_never_forked_has_no_family_table(viewer_client, alice):
    section = versions(page(viewer_client, answered(new_session(alice), "hi")))
    assert "The original of this chat." in section
    assert "No forks of this session." in section
    assert "<table" not in section


def page_queries(client, session: ChatSession) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, session)
    return len(queries)


def test_review_page_queries_do_not_grow_with_the_family(viewer_client, family):
    page(viewer_client, family.child)  # the first request also caches content types
    counts = [page_queries(viewer_client, family.child)]
    for i in range(8):
        fork_session(family.child.pk, family.grandchild_at, title=f"again {i}")
        fork_session(family.original.pk, 0, title=f"over {i}")
    counts.append(page_queries(viewer_client, family.child))
    assert "Forks of this session (9)" in page(viewer_client, family.child)
    assert counts[0] == counts[1], counts
    # the original and a fork of a deleted session cost the same
    assert page_queries(viewer_client, family.original) == counts[0]
    delete_session(family.child.pk)
    assert page_queries(viewer_client, family.grandchild) == counts[0]


def listed(client, query: str = "") -> dict:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {session.pk: session for session in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("version=original", {"original"}),
        ("version=fork", {"child", "grandchild", "sibling"}),
        ("", {"original", "child", "grandchild", "sibling"}),
    ],
)
def test_list_filters_originals_and_forks(viewer_client, family, query, expected):
    members = ("original", "child", "grandchild", "sibling")
    names = {getattr(family, name).pk: name for name in members}
    assert {names[pk] for pk in listed(viewer_client, query)} == expected


def test_fork_of_a_deleted_session_is_still_listed_as_a_fork(viewer_client, family):
    delete_session(family.child.pk)
    forks = listed(viewer_client, "version=fork")
    assert set(forks) == {family.grandchild.pk, family.sibling.pk}
    assert family.grandchild.pk not in listed(viewer_client, "version=original")


def test_list_marks_forks_with_their_fork_point(viewer_client, family):
    html = viewer_client.get(LIST).text
    assert html.count('class="review-pill review-pill--fork"') == 3
    assert f">fork at #{family.child_at}</span>" in html
    assert f">fork at #{family.grandchild_at}</span>" in html
    assert ">fork at #0</span>" in html
    original_row = html.split(session_url(family.original.pk))[1].split("</tr>")[0]
    assert "review-pill--fork" not in original_row


def list_queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as queries:
        listed(client, query)
    return len(queries)


def test_list_queries_do_not_grow_with_the_number_of_forks(viewer_client, family):
    listed(viewer_client)  # the first request also caches content types
    before = [list_queries(viewer_client, q) for q in ("", "version=fork")]
    for i in range(10):
        fork_session(family.child.pk, family.grandchild_at, title=f"again {i}")
    after = [list_queries(viewer_client, q) for q in ("", "version=fork")]
    assert before == after
