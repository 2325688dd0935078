"""The agent framework's history and state protocols, implemented on the ORM.

History is not a second copy of anything: it is the session's stored transcript
before the current run, read back from the `Event` table, so any process can
continue any session. State lives in `AgentState` rows, one per key and scope,
with a version column; `update` is a compare-and-swap loop, so concurrent
read-modify-writes of one key never lose a write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from agents.events import PersistedEvent, from_wire
from agents.stores import StateNamespace
from agents.transcript import CONTEXT_TYPES
from conversations.engine.threads import in_db_thread
from conversations.models import AgentState, Event


def load_history(session_id: Any, before_seq: int) -> list[PersistedEvent]:
    """Events of the runs admitted before the one whose message has `before_seq`,
    run by run: a message queued while a run streamed has a seq in the middle of
    that run's events, but the model must read each run after its own message.

    Only the types the model's context is built from (`CONTEXT_TYPES`): thoughts,
    state changes and bookkeeping are about a quarter of a long transcript.
    """
    rows = list(
        Event.objects.for_session(session_id)
        .filter(run__first_seq__lt=before_seq, type__in=CONTEXT_TYPES)
        .order_by("run__first_seq", "seq")
        .values_list("type", Cast("data", output_field=TextField()))
    )
    # One JSON parse of all the rows: per-row decoding through the field's
    # converter was half the time of rebuilding a 10,000-event context.
    datas = json.loads("[" + ",".join(text for _, text in rows) + "]")
    return [
        from_wire(type_, data) for (type_, _), data in zip(rows, datas, strict=True)
    ]


class TranscriptHistoryStore:
    """History read from the stored transcript of earlier runs: the run engine
    stores every event the agent yields (and the user message before the run),
    so the transcript is the history."""

    def __init__(self, before_seq: int) -> None:
        self.before_seq = before_seq

    async def load(self, session_id: str) -> list[PersistedEvent]:
        return await in_db_thread(load_history, session_id, self.before_seq)


def owner_filter(namespace: StateNamespace) -> dict[str, Any]:
    """The columns that identify a namespace's rows, by scope."""
    match namespace.scope:
        case "session":
            return {"scope": "session", "session_id": namespace.session_id}
        case "user":
            return {
                "scope": "user",
                "agent": namespace.agent,
                "user_id": namespace.user_id,
            }
        case "agent":
            return {"scope": "agent", "agent": namespace.agent}
    raise ValueError(f"state scope {namespace.scope!r} is not stored")


def _get_all(namespace) -> dict[str, Any]:
    rows = AgentState.objects.filter(**owner_filter(namespace)).values_list(
        "key", "value"
    )
    return dict(rows)


def _put(namespace, key: str, value: Any) -> None:
    owner = owner_filter(namespace)
    now = timezone.now()
    if value is None:
        AgentState.objects.filter(**owner, key=key).delete()
        return
    updated = AgentState.objects.filter(**owner, key=key).update(
        value=value, version=F("version") + 1, updated_at=now
    )
    if not updated:
        try:
            with transaction.atomic():
                AgentState.objects.create(
                    **{**owner, "agent": namespace.agent},
                    key=key,
                    value=value,
                    updated_at=now,
                )
        except IntegrityError:  # created concurrently: overwrite it
            AgentState.objects.filter(**owner, key=key).update(
                value=value, version=F("version") + 1, updated_at=now
            )


def _apply(namespace, changes: dict[str, Any]) -> None:
    with transaction.atomic():
        for key, value in changes.items():
            _put(namespace, key, value)


def _update(namespace, key: str, fn: Callable[[Any], Any]) -> Any:
    """Compare-and-swap on `version` until this writer's change lands."""
    owner = owner_filter(namespace)
    while True:
        row = (
            AgentState.objects.filter(**owner, key=key)
            .values("value", "version")
            .first()
        )
        if row is None:
            new = fn(None)
            if new is None:
                return None
            try:
                with transaction.atomic():
                    AgentState.objects.create(
                        **{**owner, "agent": namespace.agent}, key=key, value=new
                    )
                return new
            except IntegrityError:
                continue
        new = fn(row["value"])
        current = AgentState.objects.filter(**owner, key=key, version=row["version"])
        if new is None:  # None deletes, as in `apply`
            swapped = current.delete()[0]
        else:
            swapped = current.update(
                value=new, version=row["version"] + 1, updated_at=timezone.now()
            )
        if swapped:
            return new


class OrmStateStore:
    """Agent state in `AgentState` rows."""

    async def get_all(self, namespace) -> dict[str, Any]:
        return await in_db_thread(_get_all, namespace)

    async def apply(self, namespace, changes: dict[str, Any]) -> None:
        await in_db_thread(_apply, namespace, changes)

    async def update(self, namespace, key: str, fn: Callable[[Any], Any]) -> Any:
        return await in_db_thread(_update, namespace, key, fn)
