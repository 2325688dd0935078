"""The staff review of past conversations: what did the agent do, and why?

Sessions are listed with their counts computed in the list query (a correlated
subquery per column, never a query per row), and a session's page shows its
transcript as a timeline one seq range at a time, so a 10,000-event session opens as
fast as a short one. History is evidence: runs, events, feedback and agent state are
read-only here, and only superusers delete sessions or purge a user's data.

This module only registers the admins; `sessions` holds the session list and review
page, `lineage` a session's versions (forks) on that page, `history` the read-only
record, `timeline` the transcript's paging, `cards` the HTML of its events,
`approvals` the inbox of gated tool calls, `decisions` the decisions taken
from it, `audit` the read-only audit trail, `users` the user list with its erasure,
`usage` the price table and the daily usage with its chart, and `budgets`
the spending ceilings.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model

from conversations.admin import budgets, usage  # noqa: F401 - register their admins
from conversations.admin.approvals import ApprovalAdmin
from conversations.admin.audit import AuditRecordAdmin
from conversations.admin.history import (
    AgentStateAdmin,
    EventAdmin,
    FeedbackAdmin,
    RunAdmin,
)
from conversations.admin.sessions import ChatSessionAdmin
from conversations.admin.users import ErasingUserAdmin
from conversations.models import (
    AgentState,
    Approval,
    AuditRecord,
    ChatSession,
    Event,
    Feedback,
    Run,
)

admin.site.register(ChatSession, ChatSessionAdmin)
admin.site.register(Run, RunAdmin)
admin.site.register(Event, EventAdmin)
admin.site.register(Feedback, FeedbackAdmin)
admin.site.register(AgentState, AgentStateAdmin)
admin.site.register(Approval, ApprovalAdmin)
admin.site.register(AuditRecord, AuditRecordAdmin)
admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), ErasingUserAdmin)
