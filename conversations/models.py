"""Sessions, runs, events and agent state: the one source of truth.

The live stream, the transcript, the REST API, the admin and the agent's own context
all read the `Event` table. Its `seq` is allocated from `ChatSession.last_seq` in the
same transaction that inserts the events, so it is gapless and unique per session on
SQLite and PostgreSQL alike (a rolled-back write takes its seqs with it).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone

from agents.context import usage_dict
from agents.events import FINISHED_STATUSES, RunStatus


class ChatSessionQuerySet(models.QuerySet):
    def owned_by(self, user) -> ChatSessionQuerySet:
        return self.filter(owner=user)


class ChatSession(models.Model):
    """One conversation of one user with one agent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions"
    )
    agent = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_activity = models.DateTimeField(default=timezone.now)
    last_seq = models.PositiveBigIntegerField(
        default=0, help_text="Seq of the newest event: the allocation counter."
    )
    # Staff review (admin): who vouched for the transcript, when, and what they saw.
    reviewed = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True)
    # Lineage: a fork holds a copy of its parent's events up to `forked_at`;
    # `family` is the original's id, kept when that original is deleted, so
    # the versions of a chat stay together (None on an original: its own id).
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forks",
    )
    forked_at = models.PositiveBigIntegerField(null=True, blank=True)
    family = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    REVIEW_FIELDS = ("reviewed", "reviewed_by", "reviewed_at", "review_notes")
    # Moved only by the run engine's seq allocation, in SQL, never by a save.
    ENGINE_FIELDS = ("last_seq", "last_activity")

    objects = ChatSessionQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["owner", "-last_activity"], name="session_owner_activity"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.agent} session {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the session without ever writing its seq counter back.

        An instance read before a run appended events holds a stale `last_seq`;
        a full save (a rename, the admin's review form) wrote it back and the
        run's next seqs collided with stored ones. Updates therefore leave the
        engine's fields out, whoever saves and whatever fields they name.
        """
        if not self._state.adding and not kwargs.get("force_insert"):
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [
                    f.name for f in self._meta.concrete_fields if not f.primary_key
                ]
            kwargs["update_fields"] = [
                name for name in fields if name not in self.ENGINE_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def family_root(self) -> uuid.UUID:
        """The id shared by an original and all its forks."""
        return self.family or self.id

    def set_reviewed(self, reviewed: bool, by) -> None:
        """Set the review flag, recording the reviewer and time (cleared with it).

        Only changes the instance: save with `update_fields=REVIEW_FIELDS`, never a
        full save, which would write back a stale `last_seq` under a running run.
        """
        self.reviewed = reviewed
        self.reviewed_by = by if reviewed else None
        self.reviewed_at = timezone.now() if reviewed else None


class RunQuerySet(models.QuerySet):
    def active(self) -> RunQuerySet:
        """The session's active run: working, or waiting for approvals (then no
        process holds it, but it still keeps the session's place)."""
        return self.filter(status__in=Run.ACTIVE)

    def working(self) -> RunQuerySet:
        """Runs a process is driving now, kept alive by its heartbeat."""
        return self.filter(status=Run.Status.RUNNING)

    def queued(self) -> RunQuerySet:
        return self.filter(status=Run.Status.QUEUED)

    def stale(self, now: datetime, stale_after: float) -> RunQuerySet:
        """Working runs whose process stopped beating: it died or hangs."""
        return self.working().filter(
            heartbeat_at__lt=now - timedelta(seconds=stale_after)
        )


class Run(models.Model):
    """One user message and all of the agent's work on it."""

    # The agent framework's RunStatus as Django choices (members, values and
    # labels alike), so the lifecycle is spelled once.
    Status = models.TextChoices("Status", [(s.name, s.value) for s in RunStatus])
    FINISHED = tuple(FINISHED_STATUSES)
    ACTIVE = (RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL)  # and the constraint

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    message = models.TextField(help_text="The user message that started the run.")
    # NULL, not "", for "none sent": the unique constraint must ignore it.
    client_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # Who asked for the cancel: a username, or what did it ("a new message").
    cancelled_by = models.CharField(max_length=150, blank=True)
    error = models.TextField(blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=200, blank=True)  # the one that used them
    first_seq = models.PositiveBigIntegerField(null=True, blank=True)
    last_seq = models.PositiveBigIntegerField(null=True, blank=True)
    # Set when the run took its last steering message and is about to answer:
    # a message after that starts the next run instead.
    inbox_closed = models.BooleanField(default=False)

    objects = RunQuerySet.as_manager()

    class Meta:
        constraints = [
            # Two processes racing to start a run on one session: one insert wins.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(
                    status__in=(RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL)
                ),
                name="one_active_run_per_session",
            ),
            models.UniqueConstraint(
                fields=["session", "client_id"],
                condition=Q(client_id__isnull=False),
                name="unique_client_id_per_session",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat")
        ]

    def __str__(self) -> str:
        return f"{self.status} run of {timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S}"

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds() * 1000, 3)

    @property
    def usage(self) -> dict[str, Any]:
        """What the run used, spelled as `run_finished.usage` (without cost)."""
        return usage_dict(self.input_tokens, self.output_tokens, self.model)

    @staticmethod
    def usage_fields(usage: dict[str, Any]) -> dict[str, Any]:
        """A `usage` dict as the run row's columns."""
        models_used = [entry["model"] for entry in usage.get("by_model", ())]
        return {
            "input_tokens": usage.get("input_tokens", 0),
            "output_tokens": usage.get("output_tokens", 0),
            "model": models_used[0] if models_used else "",
        }


class Steer(models.Model):
    """A message sent to steer a working run: stored as that run's
    `user_message` (its `seq`), handed to the run once (`taken`). The
    `client_id` makes a repeated send find the original, as a run's does."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey("Run", on_delete=models.CASCADE, related_name="steers")
    seq = models.PositiveBigIntegerField()
    text = models.TextField()
    client_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    taken = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_id"],
                condition=Q(client_id__isnull=False),
                name="unique_steer_client_id_per_session",
            ),
        ]
        indexes = [models.Index(fields=["run", "taken"], name="steer_run_taken")]

    def __str__(self) -> str:
        return f"steer #{self.seq} of {self.run_id}"


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event's columns, as written in bulk and sent as an envelope."""

    session_id: Any
    seq: int
    run_id: Any
    type: str
    data: dict
    ts: datetime

    def envelope(self) -> dict:
        """The wire contract's envelope (WebSocket, SSE, REST)."""
        return {
            "session": str(self.session_id),
            "seq": self.seq,
            "run": str(self.run_id) if self.run_id else None,
            "type": self.type,
            "data": self.data,
            "ts": self.ts.isoformat().replace("+00:00", "Z"),
        }


EVENT_ROW_COLUMNS = tuple(field.name for field in dataclasses.fields(EventRow))


def db_values(rows: list[EventRow], connection: Any) -> list[tuple]:
    """The rows' values as the database driver takes them: what the ORM would send
    for `Event` objects, without building them.

    The rows of a batch share their session, run and time, so each distinct value
    of those goes through its field's conversion once (the conversions cost about
    15 us a row); `data` is JSON text, as `JSONField` stores it.
    """
    converted: dict[tuple[str, Any], Any] = {}

    def shared(column: str, value: Any) -> Any:
        key = (column, value)
        if key not in converted:
            field = Event._meta.get_field(column)
            converted[key] = field.get_db_prep_value(value, connection)
        return converted[key]

    return [
        (
            shared("session_id", r.session_id),
            r.seq,
            shared("run_id", r.run_id),
            r.type,
            json.dumps(r.data),
            shared("ts", r.ts),
        )
        for r in rows
    ]


class EventQuerySet(models.QuerySet):
    def for_session(self, session_id) -> EventQuerySet:
        return self.filter(session_id=session_id)

    def after(self, seq: int) -> EventQuerySet:
        return self.filter(seq__gt=seq).order_by("seq")

    def up_to(self, seq: int) -> EventQuerySet:
        return self.filter(seq__lte=seq)

    def page(self, after: int, size: int) -> EventQuerySet:
        """The (at most) `size` events after `after`, in order. Seqs are gapless, so
        a bounded range is exact, and the database reads only the page's rows
        even when its statistics are stale: on a freshly loaded 10,000-event
        session, `after(n)[:100]` with the feedback join hashed all 10,000 rows."""
        return self.after(after).up_to(after + size)[:size]

    def append_rows(self, rows: list[EventRow], owner_id: Any) -> None:
        """Insert rows without building model instances: PostgreSQL's COPY (about
        3x a multi-row INSERT), elsewhere one prepared INSERT run for every row
        (`executemany`). `bulk_create` spent most of SQLite's write time in
        Django's per-object compiling: about 100 us an event. Their searchable
        text is indexed for the session's owner `owner_id` in the same
        transaction."""
        from conversations.search import index_rows  # it reads these models

        connection = connections[self.db]
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(EVENT_ROW_COLUMNS)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy_sql = f"COPY {table} ({columns}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for r in rows:
                        data = json.dumps(r.data)
                        copy.write_row(
                            (r.session_id, r.seq, r.run_id, r.type, data, r.ts)
                        )
            else:
                placeholders = ", ".join(["%s"] * len(EVENT_ROW_COLUMNS))
                insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
                cursor.executemany(insert_sql, db_values(rows, connection))
        index_rows(rows, owner_id, connection)


class Event(models.Model):
    """One stored step of a session, in the envelope shape of the wire contract."""

    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveBigIntegerField()
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    type = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    ts = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seq"], name="unique_seq_per_session"
            ),
        ]
        ordering = ["session", "seq"]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.type}"

    def envelope(self) -> dict:
        """The event as every client receives it (WebSocket, SSE, REST)."""
        return EventRow(
            self.session_id, self.seq, self.run_id, self.type, self.data, self.ts
        ).envelope()


class AgentState(models.Model):
    """One key of an agent's state in one scope.

    The owner columns used depend on the scope: `session` state belongs to a
    session (and goes with it), `user` state to a user and an agent, `agent` state
    to the agent alone. `version` counts writes, so concurrent updates can be
    detected and none is lost.
    """

    class Scope(models.TextChoices):
        SESSION = "session"
        USER = "user"
        AGENT = "agent"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    agent = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, null=True, blank=True
    )
    key = models.CharField(max_length=200)
    value = models.JSONField(null=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "key"],
                condition=Q(scope="session"),
                name="unique_session_state_key",
            ),
            models.UniqueConstraint(
                fields=["agent", "user", "key"],
                condition=Q(scope="user"),
                name="unique_user_state_key",
            ),
            models.UniqueConstraint(
                fields=["agent", "key"],
                condition=Q(scope="agent"),
                name="unique_agent_state_key",
            ),
        ]
        verbose_name_plural = "agent state"

    def __str__(self) -> str:
        return f"{self.scope}:{self.agent}:{self.key}"


class Feedback(models.Model):
    """The session owner's rating of one answer (a `final` event)."""

    class Rating(models.IntegerChoices):
        UP = 1
        DOWN = -1

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.SmallIntegerField(choices=Rating.choices)
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{'+1' if self.rating > 0 else '-1'} on {self.event}"


class ApprovalQuerySet(models.QuerySet):
    def pending(self) -> ApprovalQuerySet:
        return self.filter(status=Approval.Status.PENDING)

    def visible_to(self, user) -> ApprovalQuerySet:
        """What a user may see: their own sessions' approvals, and for holders of
        `resolve_approval` every staff approval too."""
        mine = Q(session__owner=user)
        if user.has_perm(RESOLVE_PERMISSION):
            mine |= Q(approver=Approval.Approver.STAFF)
        return self.filter(mine)


RESOLVE_PERMISSION = "conversations.resolve_approval"


class Approval(models.Model):
    """A gated tool call waiting for, or given, a person's decision.

    Written with its `approval_requested` event and decided with its
    `approval_resolved` event, each in one transaction, so the pending state
    survives every restart. `execution` is the durable record of an approved
    call: "started" is committed before the tool runs and "done" with its
    outcome, so a call started and never finished is found after a crash and
    left in doubt, never run again.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"  # as asked, or with edited args
        REJECTED = "rejected"
        EXPIRED = "expired"

    class Approver(models.TextChoices):
        OWNER = "owner"
        STAFF = "staff"

    class Execution(models.TextChoices):
        NONE = "", "not started"
        STARTED = "started"
        DONE = "done"
        IN_DOUBT = "in_doubt", "in doubt"

    id = models.UUIDField(primary_key=True, editable=False)
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="approvals"
    )
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="approvals")
    agent = models.CharField(max_length=64)
    call_id = models.CharField(max_length=200)
    tool = models.CharField(max_length=200)
    args = models.JSONField(default=dict, help_text="As the model wrote them.")
    approver = models.CharField(max_length=8, choices=Approver.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decision = models.CharField(max_length=10, blank=True)
    decided_args = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    execution = models.CharField(
        max_length=10, choices=Execution.choices, blank=True, default=Execution.NONE
    )

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        permissions = [
            ("resolve_approval", "Can decide tool calls that need staff approval")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "call_id"], name="one_approval_per_call"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "expires_at"], name="approval_status_expiry"
            ),
            models.Index(fields=["session", "status"], name="approval_session_status"),
        ]
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.tool} ({self.status})"


class Grant(models.Model):
    """Remembered consent: later calls of `tool` are approved at once, in one
    session (`session` set) or in all of the user's sessions with `agent`.
    `schema` is a digest of the tool's argument schema when consent was given:
    a tool whose schema changed is not the tool that was trusted."""

    class Scope(models.TextChoices):
        SESSION = "session"
        AGENT = "agent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants"
    )
    agent = models.CharField(max_length=64)
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, null=True, blank=True
    )
    scope = models.CharField(max_length=8, choices=Scope.choices)
    tool = models.CharField(max_length=200)
    schema = models.CharField(max_length=64)
    approval = models.ForeignKey(
        Approval, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "agent", "tool"], name="grant_user_agent_tool")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.tool} for {self.scope}"


class AuditRecord(models.Model):
    """Who read, exported, decided or erased what, and when: written by
    `conversations.audit` only, never changed or deleted by anything.

    The session and the user a record is about are plain ids, not foreign keys,
    so the record outlives them; `actor_name` keeps the actor readable after
    their account is gone, until they are erased themselves. `detail` holds
    counts and choices, never transcript content.
    """

    class Action(models.TextChoices):
        READ_TRANSCRIPT = "read_transcript", "read a transcript"
        EXPORT = "export", "exported a transcript"
        DECIDE = "decide", "decided an approval"
        ERASE_USER = "erase_user", "erased a user"
        PURGE_USER_DATA = "purge_user_data", "purged a user's data"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    session_id = models.UUIDField(null=True, blank=True, db_index=True)
    subject_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.actor_name} {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"
        )


class ModelPrice(models.Model):
    """What a model's tokens cost from `effective_from` on, per million, in
    the configured currency (USAGE_CURRENCY); staff keep it in the admin. A
    run is priced with the row in effect when it finishes."""

    model = models.CharField(max_length=200, help_text="as the model server names it")
    input_per_million = models.DecimalField(max_digits=12, decimal_places=4)
    output_per_million = models.DecimalField(max_digits=12, decimal_places=4)
    effective_from = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "effective_from"], name="one_price_per_model_and_time"
            )
        ]
        ordering = ["model", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.model} from {self.effective_from:%Y-%m-%d}"


class UsageDay(models.Model):
    """Tokens and cost of one user's runs of one agent on one model on one day:
    the roll-up every usage figure is read from, moved by each run's finish in
    its transaction, so no request sums events. Goes with its user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    agent = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    day = models.DateField()
    runs = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agent", "model", "day"], name="one_usage_row_per_day"
            )
        ]
        indexes = [models.Index(fields=["user", "day"], name="usage_user_day")]
        verbose_name_plural = "usage by day"

    def __str__(self) -> str:
        return f"{self.day} {self.agent} {self.model}"


class Budget(models.Model):
    """A ceiling on tokens or cost per day or month, for one user, each user
    apart, one agent, or everything; staff set them in the admin. The hard
    `limit` is enforced before each model call (conversations/budgets.py);
    crossing `soft_share` of it warns in the run."""

    class Scope(models.TextChoices):
        USER = "user", "one user"
        EACH_USER = "each_user", "each user"
        AGENT = "agent", "one agent"
        OVERALL = "overall", "everything"

    class Period(models.TextChoices):
        DAY = "day", "per day (UTC)"
        MONTH = "month", "per month (UTC)"

    class Unit(models.TextChoices):
        TOKENS = "tokens", "tokens (input + output)"
        COST = "cost", "cost (USAGE_CURRENCY)"

    name = models.CharField(max_length=100, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="for 'one user' only",
    )
    agent = models.CharField(max_length=64, blank=True, help_text="for 'one agent'")
    period = models.CharField(max_length=5, choices=Period.choices)
    unit = models.CharField(max_length=6, choices=Unit.choices)
    limit = models.DecimalField(max_digits=18, decimal_places=6)
    soft_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        default=Decimal("0.8"),
        help_text="warn in the run once this share of the limit is used (0-1)",
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(limit__gt=0), name="budget_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(scope="user", user__isnull=False)
                | (~Q(scope="user") & Q(user__isnull=True)),
                name="budget_user_for_user_scope",
            ),
            models.CheckConstraint(
                condition=Q(scope="agent", agent__gt="")
                | (~Q(scope="agent") & Q(agent="")),
                name="budget_agent_for_agent_scope",
            ),
            models.CheckConstraint(
                condition=Q(soft_share__isnull=True)
                | Q(soft_share__gt=0, soft_share__lt=1),
                name="budget_soft_share_a_fraction",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The field a scope needs, and only that one, as a form error (the
        constraints would otherwise answer a staff typo with an error page)."""
        errors = {}
        if self.scope == self.Scope.USER and self.user_id is None:
            errors["user"] = "Choose the user this budget is for."
        if self.scope != self.Scope.USER and self.user_id is not None:
            errors["user"] = "Only a budget for one user names a user."
        if self.scope == self.Scope.AGENT and not self.agent:
            errors["agent"] = "Name the agent this budget is for."
        if self.scope != self.Scope.AGENT and self.agent:
            errors["agent"] = "Only a budget for one agent names an agent."
        if self.limit is not None and self.limit <= 0:
            errors["limit"] = "The limit must be more than 0."
        if self.soft_share is not None and not 0 < self.soft_share < 1:
            errors["soft_share"] = "A share is between 0 and 1, such as 0.8."
        if errors:
            raise ValidationError(errors)


class BudgetSpend(models.Model):
    """What a budget's period has used so far, for one `subject` (the user's
    id under 'each user', else ""): moved by each model call's charge and
    settlement, so two runs racing for the last of a budget are ordered by
    this row. `stopped_limit` is the limit a call was refused under: new
    messages are refused while the budget's limit is no higher."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="spends")
    subject = models.CharField(max_length=40, blank=True)
    period_start = models.DateField()
    spent = models.DecimalField(max_digits=24, decimal_places=6, default=Decimal(0))
    stopped_limit = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "subject", "period_start"],
                name="one_spend_per_budget_subject_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget} {self.subject or 'all'} from {self.period_start}"


class SearchEntry(models.Model):
    """The searchable text of one event (a user message, an answer, a thought,
    a tool call's arguments or outcome), written with the event in its
    transaction (`EventQuerySet.append_rows`) and gone with its session.

    The full-text index over `body` is the database's own, made by migration
    0011: a generated `tsvector` column with a GIN index on PostgreSQL, an FTS5
    table kept by triggers on SQLite (conversations/search/)."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=32)
    ts = models.DateTimeField()
    body = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["owner", "-id"], name="search_owner_newest"),
            models.Index(fields=["session", "seq"], name="search_session_seq"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.type}"
