"""The prose of docs/benchmarks.md: how the figures are made, and what they say.

Kept beside the code that produces the figures, so a change of method changes
the text in the same commit. The figures themselves are always in the table.
"""

INTRO = """
How the figures are made: every server is a real child process (daphne, or
uvicorn for scenario 7) on a free 127.0.0.1 port with production settings
(`DEBUG=0`, `LOG_LEVEL=WARNING`), serving `bench.asgi:application`, which is
`agentsite.asgi.application` plus two comparison endpoints (`/bench/bare/`: the
same frames, nothing stored; `/bench/naive/`: one transaction per event). Load
comes from a separate process, `python -m bench.client <scenario>`, over real
sockets with the `websockets` client (compression offered, as browsers do). The
benchmark agents (`bench-flood`, `bench-paced`) are loaded with
`AGENT_PLUGINS=bench.agents.register`. Each stack gets a fresh database
(`var/bench.sqlite3`; PostgreSQL `agentsite_bench`; Redis db 9, flushed); the
Redis stack uses the default channel layer, channels-redis' pub/sub layer.
Comparisons are ratios of things measured in the same repeat on the same server.
Scenario 4 runs in-process (Django test client, `DEBUG` off while timing; queries
counted with `CaptureQueriesContext` with `DEBUG` on).

Commands: `make bench` (quick, about 4-8 minutes on two cores) and `make bench FULL=1` (longer
runs and more repeats, uvicorn on both stacks, idle sockets on both stacks).
`python -m bench --only stream,latency --stacks services` runs a subset.
"""

FINDINGS = """
**The machine.** An AMD EPYC VM whose speed swings about 2x within minutes: the
same one-run PostgreSQL flood, same code, measured 6,900 to 12,300 events/s
within three minutes on one day. Each scenario is now bracketed by a fixed CPU
loop (the machine speed table above), so a figure taken in a slow stretch shows
as such. The full run of 2026-11-25 06:19 UTC was taken in a fast stretch (loop
34-40 ms throughout); the one before it, without the loop, fell in a slow one:
one PostgreSQL run 8,057 events/s against 15,229, the admin page 48.6 ms against
21.7 ms, the agent's context 102.6 ms (over the line) against 42.4 ms. Only the
context code changed in between, and that change explains 55 -> 45 ms of it
(below). Compare ratios, not absolutes, and read the absolute targets with the
loop's time.

**Store and stream (1).** Where the time went, found with py-spy on a ten-run
SQLite flood (per-thread CPU from /proc, GIL-holding samples), and what changed:
(a) SQLite rows went in through `bulk_create`, about 100 us an event of Django
compiling model instances; one prepared `INSERT` run for every row
(`executemany`), with values converted once per batch, cut the database thread
from ~126 to ~40 us an event. (b) A fifth of the time went to watchers reading
back batches their process was about to publish: the tail check (for a lost last
message) fired after a second of quiet and read whatever was stored, and a busy
process publishes a batch a while after storing it. The check now notes the
session's last seq and refills only what is still missing a second later. (c)
autobahn builds the arguments of a debug log line for every frame daphne sends and
colours them with `click.style` when click is importable (uvicorn and schemathesis
install it): a quarter of the loop's CPU, now switched off when the app loads. (d)
Channels' in-memory layer deep-copies each message for each receiver; a published
batch now copies as itself. Together, on SQLite: one run from ~5,400 to ~10,000
events/s in the slow stretch of the earlier runs (17,861 at 06:19), ten
runs at once from 0.74x to 0.97-0.99x one run. On PostgreSQL + Redis ten runs
come out above one run (1.20x at 06:19). What bounds one PostgreSQL run, measured:
the server is idle 25-30% of it, about as long as PostgreSQL spends on CPU for
the batches (0.9 s of 3.5 s). A run has one batch in flight at a time (its seqs
are allocated in order), so PostgreSQL's part of each batch (COPY, two
foreign-key checks and two index inserts per row, the commit) is time the run
waits; the database thread also waits for the GIL behind the loop at each of its
round trips (a 1,000-event batch takes ~95 ms to write during a flood against
~39 ms alone). Ten runs overlap those waits, hence the ratio above 1. Of the
loop's busy time in the profile below, half is sending frames (the consumer's
`send`, Channels, daphne and autobahn's framing), a sixth the agent, a tenth the
recorder's JSON and publish. Tried and dropped for want of a measurable gain:
letting the agent fill the next batch during the write, publishing in the
background, larger batches, and a 0.5-1 ms GIL switch interval. Events go into
PostgreSQL with `COPY`, about 3x a multi-row `INSERT`; the naive path (one
transaction per event) stays at a few hundred events/s because every commit
waits for a WAL flush (`write_batch` rows in the profile section).

**Many users (2).** Met on both stacks: no error, no cross-talk, every seq once,
delivery p99 in tens of ms (was 3.5 s on PostgreSQL + Redis and 1.7 s on SQLite
before this work). The profile that found it: py-spy showed sixteen database
threads waiting and `pg_stat_activity` showed their sessions `idle in
transaction`, waiting for the client: each statement's result waited for a GIL
handoff before the next could go, so every transaction stretched while its `ts`
was already taken. Fixed step by step: a per-process heartbeat and cancel
listener, 22 -> 11 statements per run (seqs with `UPDATE ... RETURNING`, the
admission carrying the run's spec, no health-check `SELECT 1` before every
engine call), and 2 database threads plus at most `RUN_CONCURRENCY` (32) runs at
work per process. The remaining limit is CPU: about 10-20 ms of server CPU per
short run (ORM statements, Channels and daphne framing, the socket's
authentication at connect), so one process finishes 500 runs in 5-10 s; more
runs need more processes, which the design allows (no sticky sessions).

**No silent loss (3).** Every socket ends with exactly the stored transcript at
1, 10 and 100 subscribers. The layer alone delivered 100% live: the recorder
publishes one layer message per batch, so a 2,000-event burst is a few dozen layer
messages, and gap repair (refill from the database on a seq gap, and tail checks
after news stops, which refill what is still missing a second after they saw it
stored) covers whatever a layer drops.

**Big sessions (4).** The agent's context of 10,013 events, profiled on
PostgreSQL in a fast stretch, 55 ms before the 06:19 run's change: the query and
fetch ~11 ms (PostgreSQL's part ~9 ms: a hash join with the runs and a sort by
run, then seq), one JSON parse of all rows ~6 ms, building the events ~6-8 ms,
turning them into chat messages ~24 ms. A third of each tool message went to
`json.dumps(..., default=str)`, which builds a new encoder per call; one shared
encoder and matching the commonest events first made that 18 ms, the whole 45
ms. Earlier, the store was changed to read only the event types the model sees
and to parse their JSON in one call (per-row decoding had been half the time).
Transcript and admin pages read a bounded seq range; the admin timeline shows
100 events a page, as the API does, timed as production renders it (template
debug off). Of its ~22 ms: the timeline's cards ~6 ms (built in Python with
`format_html`; ~18 ms in the template language), the admin's own chrome
(base, app list, form) ~6 ms, the ten queries ~2 ms, the rest Django's request
and view machinery. The review page reads its counts with two grouped queries
instead of the list's eight correlated subqueries, whose compiling alone took
~6 ms.

**Idle sockets (5).** Met: the app adds about as much again as daphne's own
per-socket cost. daphne does not negotiate permessage-deflate (the client offers
it; the handshake answers with no `Sec-WebSocket-Extensions`), so no socket pays
for a zlib context; a server that does negotiate it (uvicorn with `websockets`)
would need to be measured again before switching.

**Latency (6).** Met. Message -> first event is a few ms p50 on both stacks: the
admission is one transaction, and the sender gets its ack and stored
`user_message` straight away (the layer publish to other watchers does not hold
the ack back). Across two instances at 500 events/s the Redis path keeps p99
under 10 ms.

**Server choice (7).** uvicorn is not a win here: on PostgreSQL + Redis it
streams one run at 0.91x daphne and ten runs at 0.79x, and the 500-user burst is
a wash (p99 0.91x, all done 1.02x; on SQLite p99 2.67x), because the limits are
the app's own loop work and the database's commits, not the server. Its
bare-socket figure is lower than daphne's because uvicorn's `send` waits for the
socket to drain (backpressure) while daphne's returns at once and buffers in
Twisted: daphne's figure measures its buffer, not the wire. daphne stays the
supported server; the app is plain ASGI, so uvicorn runs it too (`uvicorn
agentsite.asgi:application`), and its backpressure is the better behaviour for
slow clients.

**Approvals (8).** Met: with 10,000 pending approvals the inbox page and a resolve
cost the same 4 and 5 queries as with five, and stay well under 50 ms. A
decision reaches the tool's result in about 1.5-2.7x the time a message takes to
reach an ungated call's result: the decision's own transaction (it takes the
session's lock and stores its event), the run rebuilt from its stored events,
and the durable start of the call before it runs, which is the price of running
it at most once. Decided on another instance, the run resumes there and its
events reach the watcher through Redis, a few ms more.

**Forks (9).** Met: a fork of a 10,000-event session takes the same statements as
one of a hundred events and is 4-7x faster than copying through ORM objects.
Runs and events are each copied by one `INSERT ... SELECT` joined to a table of
old and new run ids; a first version mapped ids with a `CASE` per row, which
grew with runs times events. On PostgreSQL about half of a fork's time is the
commit: the deferred foreign-key checks of every copied row (its session and its
run), which no set-based copy avoids while the copies are rows of their own.

**AG-UI vs our SSE (10).** AG-UI sends about 1.4 frames per stored event
where our stream sends one (a tool call is a start, its arguments and an end;
a thought is five events), and it sends them at about the same frames/s as
`POST /chat` (0.96x on SQLite, 1.07x on PostgreSQL + Redis), so a long run
streams at 0.66-0.75x of our stored events/s, and the first frame comes 1.06-1.09x
later at p50. A first version read each frame of `follow` through a task and an
`asyncio.wait` (there for the approvals check), which cost a loop turn per
frame, so Twisted wrote every frame to the socket on its own: 0.24-0.26x. The
stream now reads `follow` directly, and only waits beside a check while
approvals are outstanding, and writes one chunk per stored event. What is left
is mostly the frames themselves; each AG-UI event is serialised by the
package's pydantic model (about 6 us an event against 2.5 us for `json.dumps`
of the same dict), kept because the encoding is the protocol's own. Both endpoints can
miss a fast run's first deltas: `follow` joins the layer group when the response
starts streaming, after the run was admitted, and replays what is stored then,
which holds no deltas (1 to 11 of 100 one-step runs on SQLite, in three runs).
"""


def analysis() -> str:
    return FINDINGS.strip()
