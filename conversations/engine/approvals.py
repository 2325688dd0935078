"""Deciding a gated tool call: the one path every decision takes.

The WebSocket `resolve` frame, the REST API, the admin and the expiry sweep all
call `decide`. It checks who may decide, then stores the decision and its
`approval_resolved` event in one transaction, under the session's row lock
(the seq allocation takes it), so two decisions racing on two instances are
taken one after the other and exactly one wins. The decision that leaves the
run with nothing pending wakes it: the run is marked running again and the
caller drives it on, in whatever process it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents.approval import Decision, schema_digest
from agents.events import ApprovalRequested, ApprovalResolved
from agents.tools import ToolArgumentError
from conversations import audit
from conversations.agent_factory import get_registry
from conversations.engine.storage import RunSpec, load_spec, store_events
from conversations.models import RESOLVE_PERMISSION, Approval, Grant, Run


class ApprovalNotFound(Exception):
    """No approval of that id that the user may see."""


class ApprovalForbidden(Exception):
    """The user sees the approval but may not decide it (staff approval)."""


class AlreadyResolved(Exception):
    """The approval was decided (or expired) before."""


class BadArguments(ValueError):
    """Edited arguments that do not fit the tool's schema."""


class RememberRefused(ValueError):
    """`remember` on a staff approval: consent is the owner's to give, and a
    grant there would end the four-eyes check for good."""


REMEMBER = (Grant.Scope.SESSION, Grant.Scope.AGENT)


@dataclass(frozen=True)
class Outcome:
    """A stored decision: the approval as it is now, the envelopes to publish,
    and the run to drive on when this decision was the last one it waited for."""

    approval: Approval
    envelopes: list[dict]
    resume: RunSpec | None


def may_decide(approval: Approval, user: Any) -> bool:
    """Staff approvals need the permission (four eyes); others the owner."""
    if approval.approver == Approval.Approver.STAFF:
        return user.has_perm(RESOLVE_PERMISSION)
    return approval.session.owner_id == user.pk


def find_for(approval_id: Any, user: Any) -> Approval:
    """The approval if `user` may see it, else `ApprovalNotFound`."""
    found = (
        Approval.objects.visible_to(user)
        .select_related("session", "decided_by")
        .filter(pk=approval_id)
        .first()
    )
    if found is None:
        raise ApprovalNotFound(approval_id)
    return found


def decide(
    approval_id: Any,
    user: Any,
    approve: bool,
    args: dict | None = None,
    reason: str = "",
    remember: str | None = None,
) -> Outcome:
    """A person's decision: approve (with `args` to edit the call) or reject;
    `remember` ("session" or "agent") approves later calls of the tool too."""
    approval = find_for(approval_id, user)
    if not may_decide(approval, user):
        raise ApprovalForbidden(approval_id)
    if approval.status != Approval.Status.PENDING:
        raise AlreadyResolved(approval_id)
    if remember and approval.approver == Approval.Approver.STAFF:
        raise RememberRefused("a staff approval is decided each time: no 'remember'")
    decision = Decision.REJECTED
    if approve:
        edited = args is not None and args != approval.args
        decision = Decision.EDITED if edited else Decision.APPROVED
        if edited:
            args = _checked(approval, args)
    return _store(approval, decision, args, reason, user, remember)


@dataclass(frozen=True)
class Answer:
    """One of several decisions taken together (an AG-UI `resume`)."""

    approval_id: Any
    approve: bool
    args: dict | None = None
    reason: str = ""
    remember: str | None = None


def decide_together(session_id: Any, user: Any, answers: list[Answer]) -> list[Outcome]:
    """Decide several approvals of one session all at once or not at all: the
    first that cannot be decided (another session's, not pending, arguments
    that do not fit) undoes the ones before it. Raises the errors of `decide`."""
    with transaction.atomic():
        outcomes = []
        for answer in answers:
            outcome = decide(
                answer.approval_id,
                user,
                answer.approve,
                answer.args,
                answer.reason,
                answer.remember,
            )
            if outcome.approval.session_id != session_id:
                raise ApprovalNotFound(answer.approval_id)
            outcomes.append(outcome)
    return outcomes


def expire(approval: Approval) -> Outcome:
    """Nobody decided in time: the call does not run and the model is told."""
    return _store(approval, Decision.EXPIRED, None, "", None, None)


def _checked(approval: Approval, args: dict) -> dict:
    tool = get_registry().tools.get(approval.tool)
    if tool is None:
        raise BadArguments(f"the tool {approval.tool!r} is not available")
    try:
        return tool.check(args)
    except ToolArgumentError as exc:
        raise BadArguments(str(exc)) from None


def _store(
    approval: Approval,
    decision: Decision,
    args: dict | None,
    reason: str,
    user: Any,
    remember: str | None,
) -> Outcome:
    now = timezone.now()
    decided_args = approval.args if args is None else args
    by = user.get_username() if user is not None else None
    status = Approval.Status.APPROVED if decision.runs else Approval.Status(decision)
    resume = None
    with transaction.atomic():
        grant = _grant(approval, user, remember) if remember else None
        event = ApprovalResolved(
            str(approval.id),
            approval.call_id,
            decision,
            decided_args,
            reason,
            by,
            grant=str(grant.id) if grant else None,
        )
        rows = store_events(approval.session_id, approval.run_id, [event])
        taken = Approval.objects.filter(
            pk=approval.pk, status=Approval.Status.PENDING
        ).update(
            status=status,
            decision=decision,
            decided_args=decided_args,
            reason=reason,
            decided_at=now,
            decided_by=user,
        )
        if not taken:
            transaction.set_rollback(True)  # the seqs go back with the event
            raise AlreadyResolved(approval.pk)
        if user is not None and user.pk != approval.session.owner_id:
            audit.record(
                user,
                audit.Action.DECIDE,
                session_id=approval.session_id,
                subject_user_id=approval.session.owner_id,
                approval=str(approval.pk),
                decision=str(decision),
            )
        if not Approval.objects.pending().filter(run_id=approval.run_id).exists():
            woken = Run.objects.filter(
                pk=approval.run_id, status=Run.Status.AWAITING_APPROVAL
            ).update(status=Run.Status.RUNNING, heartbeat_at=now)
            if woken:
                resume = load_spec(approval.run_id, resuming=True)
    approval.refresh_from_db()
    return Outcome(approval, [row.envelope() for row in rows], resume)


def _grant(approval: Approval, user: Any, scope: str) -> Grant | None:
    """The consent a decision asks to remember (for the session's owner)."""
    tool = get_registry().tools.get(approval.tool)
    if tool is None:
        return None
    return Grant.objects.create(
        user_id=approval.session.owner_id,
        agent=approval.agent,
        session_id=approval.session_id if scope == Grant.Scope.SESSION else None,
        scope=scope,
        tool=approval.tool,
        schema=schema_digest(tool),
        approval=approval,
    )


def granted(
    request: ApprovalRequested, user_id: Any, agent: str, session_id: Any
) -> ApprovalResolved | None:
    """The decision a remembered grant makes on a new request, if one applies:
    the same tool with the same schema, in this session or for this agent.
    Never on a staff approval: the owner's consent cannot stand in for it."""
    tool = get_registry().tools.get(request.tool)
    if tool is None or request.approver == Approval.Approver.STAFF:
        return None
    grant = (
        Grant.objects.filter(
            user_id=user_id, agent=agent, tool=request.tool, schema=schema_digest(tool)
        )
        .filter(Q(scope=Grant.Scope.AGENT) | Q(session_id=session_id))
        .first()
    )
    if grant is None:
        return None
    return ApprovalResolved(
        request.approval,
        request.call_id,
        Decision.APPROVED,
        request.args,
        "",
        None,
        grant=str(grant.id),
    )


def due_for_expiry() -> list[Approval]:
    """Pending approvals whose time is up."""
    return list(Approval.objects.pending().filter(expires_at__lte=timezone.now()))
