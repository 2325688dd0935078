"""Scenario 8, approvals: how long a person's decision takes to become the tool's
result, beside the same person's message reaching an ungated tool's result, and
an inbox of 10,000 pending approvals.

Over real sockets, one at a time (the path's own latency, not queueing), with
the shipped `notes` agent: "Save a note: …" waits for approval (decision ->
`tool_result` of `save_note`), "What are my notes?" calls `list_notes` at once
(message -> `tool_result`). The decision goes to the instance the socket is on,
or, with Redis, to another instance (the run resumes there and its events reach
the socket through the layer). The inbox is measured in-process, as scenario 4
measures pages: the list and the resolve call, their queries counted on a small
and a big inbox.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any

from bench.bigsession import count_queries, timed
from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import summary
from bench.wire import open_session, read_run, send_message

TARGET_INBOX_MS = 50.0


async def _until(ws, kind: str) -> float:
    """Read frames until one of `kind`; return when it arrived."""
    async with asyncio.timeout(60):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return time.time()


def client_decision(params: dict[str, Any]) -> dict[str, Any]:
    """Per round: a note saved after a decision sent to `port_decide`, watched on
    `port`; then an ungated call in the same session."""
    from bench.fixtures import new_sessions, user_with_token

    user, token = user_with_token("approvals")
    sessions = new_sessions(user, "notes", params["rounds"])
    gated: list[float] = []
    plain: list[float] = []

    async def load() -> None:
        for n, session in enumerate(sessions):
            ws = await open_session(params["port"], session, token)
            decider = ws
            if params["port_decide"] != params["port"]:
                decider = await open_session(params["port_decide"], session, token)
            try:
                await send_message(ws, f"Save a note: number {n}")
                approval = await _request(ws)
                decided = time.time()
                await decider.send(
                    json.dumps(
                        {"type": "resolve", "approval": approval, "decision": "approve"}
                    )
                )
                gated.append((await _until(ws, "tool_result") - decided) * 1000)
                await _until(ws, "run_finished")
                sent = await send_message(ws, "What are my notes?")
                plain.append((await _until(ws, "tool_result") - sent) * 1000)
                await read_run(ws)
            finally:
                await ws.close()
                if decider is not ws:
                    await decider.close()

    asyncio.run(load())
    return {"gated": summary(gated), "plain": summary(plain)}


async def _request(ws) -> str:
    async with asyncio.timeout(60):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "approval_requested":
                return frame["data"]["approval"]


def client_inbox(params: dict[str, Any]) -> dict[str, Any]:
    """A user's inbox of `pending` approvals: the list page and a resolve."""
    from django.test import Client, override_settings

    from bench.fixtures import user_with_token

    few, few_token = user_with_token("inbox-few")
    many, many_token = user_with_token("inbox-many")
    few_ids = _pending(few, 5)
    many_ids = _pending(many, params["pending"])

    def listing(token: str):
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        return lambda: _ok(client.get("/api/approvals/?status=pending"))

    def resolving(token: str, ids: list[str]):
        client, queue = Client(HTTP_AUTHORIZATION=f"Token {token}"), iter(ids)

        def resolve() -> None:
            url = f"/api/approvals/{next(queue)}/resolve/"
            body = json.dumps({"decision": "reject", "reason": "bench"})
            _ok(client.post(url, body, content_type="application/json"))

        return resolve

    gc.collect()
    gc.freeze()
    out: dict[str, Any] = {}
    repeats = params["repeats"]
    cases = {
        "list": (listing(few_token), listing(many_token)),
        "resolve": (resolving(few_token, few_ids), resolving(many_token, many_ids)),
    }
    for name, (small, big) in cases.items():
        with override_settings(DEBUG=False):
            big()  # warm-up
            ms = timed(big, repeats)
        out[name] = {"ms": ms, "queries": [count_queries(small), count_queries(big)]}
    return out


def _ok(response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.content[:200]!r}")


def _pending(owner: Any, count: int) -> list[str]:
    """`count` pending approvals in one session of `owner`'s, on a working run
    (so a decision wakes nothing: the resolve is measured, not a resumed run)."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from conversations.models import Approval, ChatSession, Run

    session = ChatSession.objects.create(owner=owner, agent="notes")
    run = Run.objects.create(session=session, status="running", message="bench")
    expires = timezone.now() + timedelta(days=1)
    rows = [
        Approval(
            id=uuid.uuid4(),
            session=session,
            run=run,
            agent="notes",
            call_id=f"c{n}",
            tool="save_note",
            args={"text": f"note {n}"},
            approver="owner",
            expires_at=expires,
        )
        for n in range(count)
    ]
    Approval.objects.bulk_create(rows, batch_size=1000)
    return [str(row.id) for row in rows]


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    inbox = run_client(
        stack,
        "approvals.inbox",
        {"pending": sizes.approvals_pending, "repeats": sizes.big_repeats},
        extra_env={"DEBUG": "1"},
    )
    for name, text in (
        ("list", "inbox page (50 of them)"),
        ("resolve", "resolve one"),
    ):
        ms, (q_small, q_big) = inbox[name]["ms"], inbox[name]["queries"]
        report.add(
            Row(
                "8 approvals",
                f"{stack.name} in-process",
                f"{sizes.approvals_pending:,} pending, {text}: p50 / p99 ms; "
                "queries small->big",
                f"{ms['p50']:.1f} / {ms['p99']:.1f}; {q_small}->{q_big}",
                f"< {TARGET_INBOX_MS:.0f} ms, no growth in queries",
                ms["p50"] < TARGET_INBOX_MS and q_big <= q_small,
            )
        )
    with server_for(stack) as server:
        same = run_client(
            stack,
            "approvals.decision",
            {
                "port": server.port,
                "port_decide": server.port,
                "rounds": sizes.approval_rounds,
            },
        )
    _decision_rows(report, f"{stack.name} daphne", "same instance", same)
    if not stack.redis_url:
        return
    with server_for(stack) as a, server_for(stack) as b:
        across = run_client(
            stack,
            "approvals.decision",
            {"port": a.port, "port_decide": b.port, "rounds": sizes.approval_rounds},
        )
    _decision_rows(report, f"{stack.name} 2x daphne", "decided on B", across)


def _decision_rows(report: Report, label: str, where: str, raw: dict) -> None:
    gated, plain = raw["gated"], raw["plain"]
    report.add(
        Row(
            "8 approvals",
            label,
            f"decision -> tool_result, {where}: p50 / p99 ms",
            f"{gated['p50']:.1f} / {gated['p99']:.1f}",
        ),
        Row(
            "8 approvals",
            label,
            "beside: message -> tool_result of an ungated call: p50 / p99 ms "
            "(decision/message at p50)",
            f"{plain['p50']:.1f} / {plain['p99']:.1f} "
            f"({gated['p50'] / plain['p50']:.2f}x)",
        ),
    )
