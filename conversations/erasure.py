"""Erasing a user: everything of theirs goes, and an audit record says so.

One function serves the user (`POST /api/me/erase/`), staff (the admin's
"Erase user data") and operators (`manage.py erase_user`). In one transaction
it deletes the user's sessions through the engine (their runs stop, their
sockets and streams are told), the admin's log entries about the user and their
sessions (which quote titles and names), and the account, which takes with it
the user-scope agent state, grants, API tokens, usage roll-ups, budgets
and what they spent of budgets for each user, and anything else that points at it. Records of what the user did as staff stay, with their name replaced by
"erased user #<id>". Agent-scope state, which belongs to an agent and no user,
stays.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from rest_framework.authtoken.models import Token

from conversations import audit, search
from conversations.engine.service import delete_session
from conversations.models import (
    AgentState,
    Approval,
    Budget,
    BudgetSpend,
    ChatSession,
    Feedback,
    Grant,
    Run,
    UsageDay,
)


def session_counts(sessions: QuerySet) -> dict[str, int]:
    """What goes with `sessions`: runs, events, feedback, state, approvals."""
    return {
        "sessions": sessions.count(),
        "runs": Run.objects.filter(session__in=sessions).count(),
        # Seqs are gapless from 1, so a session's last seq counts its events.
        "events": sessions.aggregate(n=Sum("last_seq"))["n"] or 0,
        "feedback": Feedback.objects.filter(event__session__in=sessions).count(),
        "session state keys": AgentState.objects.filter(session__in=sessions).count(),
        "approvals": Approval.objects.filter(session__in=sessions).count(),
    }


def user_counts(user: Any) -> dict[str, int]:
    """What erasing `user` deletes, by kind."""
    return {
        **session_counts(ChatSession.objects.filter(owner=user)),
        "user state keys": AgentState.objects.filter(user=user).count(),
        "grants": Grant.objects.filter(user=user).count(),
        "API tokens": Token.objects.filter(user=user).count(),
        "usage days": UsageDay.objects.filter(user=user).count(),
        "budgets": Budget.objects.filter(user=user).count(),
        "budget spends": _spends(user).count(),
    }


def erase_user(user: Any, by: Any) -> dict[str, int]:
    """Erase `user` completely on behalf of `by` (the user themselves, staff or
    None for an operator); return what went, as counted before."""
    with transaction.atomic():
        counts = user_counts(user)
        session_ids = list(
            ChatSession.objects.filter(owner=user).values_list("pk", flat=True)
        )
        for session_id in session_ids:
            delete_session(session_id)
        _about(user, session_ids).delete()
        _spends(user).delete()
        audit.record(
            by, audit.Action.ERASE_USER, subject_user_id=user.pk, **as_fields(counts)
        )
        audit.forget_actor(user)
        user.delete()
        search.forget_deleted()
    return counts


def _spends(user: Any) -> QuerySet:
    """What the user spent of budgets: their own, and their share of budgets
    for each user."""
    return BudgetSpend.objects.filter(
        Q(budget__user=user)
        | Q(budget__scope=Budget.Scope.EACH_USER, subject=str(user.pk))
    )


def _about(user: Any, session_ids: list[Any]) -> QuerySet:
    """The admin's log entries about the user's account and sessions."""
    users = ContentType.objects.get_for_model(type(user))
    sessions = ContentType.objects.get_for_model(ChatSession)
    return LogEntry.objects.filter(
        Q(content_type=users, object_id=str(user.pk))
        | Q(content_type=sessions, object_id__in=[str(pk) for pk in session_ids])
    )


def as_fields(counts: dict[str, int]) -> dict[str, int]:
    """Counts keyed as fields ("API tokens" -> "api_tokens"), for JSON."""
    return {name.lower().replace(" ", "_"): count for name, count in counts.items()}
