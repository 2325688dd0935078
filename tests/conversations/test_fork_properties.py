"""Fork state, as a property: whatever runs wrote to session and user state, a
fork at any run boundary holds the session state the parent had at that seq
(rebuilt from its `state_delta` events), the parent's events up to there
unchanged, and no copy of the user's state, which forks share."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.engine.forks import fork_session, run_boundaries
from conversations.engine.service import submit_message, wait_for_run
from conversations.models import AgentState, ChatSession, Event
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.none() | st.integers(-3, 3) | st.text("xyz", max_size=3) | st.just([1])
WRITE = st.fixed_dictionaries(
    {
        "scope": st.sampled_from(["session", "session", "user"]),
        "changes": st.dictionaries(KEYS, VALUES, min_size=1, max_size=3),
    }
)
RUNS = st.lists(st.lists(WRITE, max_size=3), min_size=1, max_size=5)


def state_of(session_id, scope: str = "session", **owner) -> dict:
    rows = AgentState.objects.filter(scope=scope, **owner)
    if scope == "session":
        rows = rows.filter(session_id=session_id)
    return dict(rows.values_list("key", "value"))


def transcript(session_id, at: int) -> list[tuple]:
    return list(
        Event.objects.filter(session_id=session_id, seq__lte=at)
        .order_by("seq")
        .values_list("seq", "type", "data")
    )


async def play(user, runs: list[list[dict]]) -> tuple[ChatSession, dict[int, dict]]:
    """Run the writes; return the session and its session state after each
    run's end (and at 0, before any)."""
    session = await ChatSession.objects.acreate(owner=user, agent="state-writer")
    states = {0: {}}
    for writes in runs:
        admitted = await submit_message(session.id, session.agent, json.dumps(writes))
        await wait_for_run(admitted.run_id)
        await session.arefresh_from_db()
        states[session.last_seq] = await sync_to_async(state_of)(session.id)
    return session, states


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(runs=RUNS)
def test_a_fork_at_any_boundary_has_the_parents_state_as_of_then(test_agents, runs):
    user = make_user(f"u{uuid.uuid4().hex[:12]}")
    session, states = async_to_sync(play)(user, runs)
    assert run_boundaries(session.id) == sorted(states)
    user_state = state_of(None, "user", user=user)
    parent_events = transcript(session.id, session.last_seq)
    for at, expected in states.items():
        fork = fork_session(session.id, at)
        assert state_of(fork.id) == expected
        assert transcript(fork.id, at) == transcript(session.id, at)
        assert fork.last_seq == at == fork.forked_at
        assert fork.parent_id == session.id
    # The parent is only read; user state is shared, never copied.
    assert transcript(session.id, session.last_seq) == parent_events
    assert state_of(session.id) == states[session.last_seq]
    assert state_of(None, "user", user=user) == user_state
    assert AgentState.objects.filter(scope="user", user=user).count() == len(user_state)


async def test_forks_are_isolated_from_their_parent_and_from_each_other(test_agents):
    user = await sync_to_async(make_user)(f"u{uuid.uuid4().hex[:12]}")
    write = [{"scope": "session", "changes": {"a": 1}}]
    parent, _ = await play(user, [write])
    forks = [
        await sync_to_async(fork_session)(parent.id, parent.last_seq) for _ in range(2)
    ]
    for n, session in enumerate([parent, *forks]):
        change = [{"scope": "session", "changes": {"a": None, f"own{n}": n}}]
        admitted = await submit_message(session.id, session.agent, json.dumps(change))
        await wait_for_run(admitted.run_id)
    for n, session in enumerate([parent, *forks]):
        assert await sync_to_async(state_of)(session.id) == {f"own{n}": n}
    lengths = {
        await Event.objects.filter(session_id=s.id).acount() for s in [parent, *forks]
    }
    assert len(lengths) == 1  # each got its own run, none saw another's
