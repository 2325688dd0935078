"""The audit trail: every staff read of a transcript, export, staff decision
and erasure becomes an `AuditRecord`, in the transaction of what it records
where there is one.

One function writes records, so what a record holds is decided here: who (the
actor and their name then), what, which session and which user (as ids), when,
and a small `detail` of choices and counts, never content.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from conversations.models import AuditRecord

Action = AuditRecord.Action


def record(
    actor: Any,
    action: AuditRecord.Action,
    *,
    session_id: Any = None,
    subject_user_id: int | None = None,
    **detail: Any,
) -> AuditRecord:
    """Write one record of `actor` doing `action`."""
    return AuditRecord.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "the system",
        action=action,
        session_id=session_id,
        subject_user_id=subject_user_id,
        detail=detail,
    )


def forget_actor(user: Any) -> int:
    """The records of an erased user's own actions keep what was done, without
    their name: the name becomes "erased user #<id>"."""
    return AuditRecord.objects.filter(actor=user).update(
        actor=None, actor_name=f"erased user #{user.pk}"
    )


def json_lines(records: Iterable[AuditRecord]) -> Iterator[str]:
    """Records as JSON Lines, one object per record, oldest first as given."""
    for entry in records:
        yield (
            json.dumps(
                {
                    "at": entry.at.isoformat().replace("+00:00", "Z"),
                    "actor": entry.actor_name,
                    "actor_id": entry.actor_id,
                    "action": entry.action,
                    "session": str(entry.session_id) if entry.session_id else None,
                    "subject_user": entry.subject_user_id,
                    "detail": entry.detail,
                },
                ensure_ascii=False,
                sort_keys=True,
            )
            + "\n"
        )
