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
(`var/bench.sqlite3`; PostgreSQL `agentsite_bench`; Redis db 9, flushed).
Comparisons are ratios of things measured in the same repeat on the same server.
Scenario 4 runs in-process (Django test client, `DEBUG` off while timing; queries
counted with `CaptureQueriesContext` with `DEBUG` on).

Commands: `make bench` (quick, about 8 minutes on two cores) and `make bench FULL=1` (longer
runs and more repeats, uvicorn on both stacks, idle sockets on both stacks).
`python -m bench --only stream,latency --stacks services` runs a subset.
"""

FINDINGS = """
**Store and stream (1).** One run streams well past the 8,000/s target and 5x the
naive path on PostgreSQL; the naive path is held to a few hundred events/s because
every commit waits for a WAL flush (`write_batch` alone: ~550/s one event per
transaction, ~20,000/s in batches of 50, ~40-60,000/s in batches of 200-1,000).
The one-run figure is bounded by the server's event loop, not the database: in
the profile below the main thread spends most of its busy time in
`SessionConsumer.send_json` (json.dumps plus autobahn framing, once per event per
socket) and the rest idle in `epoll` while a pool thread runs `write_batch`. Ten
runs at once miss 0.9x on PostgreSQL: the loop is already the bottleneck for one
run, and ten runs add ten recorders, ten flush loops and ten Redis `group_send`
round trips per batch window to the same loop, while their batches get smaller
(each run yields less often). On SQLite the in-memory layer is cheaper and ten runs
hold one run's rate.

**Many users (2).** Correctness holds (no error, no cross-talk, every seq once),
but 500 runs started in the same instant take about 11 s to finish on either
stack, so the delivery latency measured from each event's stored `ts` is
seconds, far over 250 ms. The limit is per-run database round trips, not bytes:
each math run makes about ten transactions (admission, spec, history, state,
small batches of 1-3 events, finish, heartbeat), every one a WAL flush on
PostgreSQL or a turn on SQLite's single writer lock, all through the default
executor (6 threads on 2 cores). ~45 runs/s x ~10 commits is the same ~500
commits/s as the naive path. On PostgreSQL the Redis layer adds its own hop per
batch for 500 groups, which is why its p50 is higher than SQLite's.

**No silent loss (3).** Every socket ends with exactly the stored transcript at
1, 10 and 100 subscribers. The layer alone (probe channels on channels-redis,
capacity 1,000) delivered 100% live: the recorder publishes one layer message per
batch, so a 2,000-event burst is a few dozen layer messages, far under the
capacity that dropped 30-91% in the anchor (one message per event).

**Idle sockets (5).** Met: the app adds about as much again as daphne's own
per-socket cost. daphne does not negotiate permessage-deflate (the client offers
it; the handshake answers with no `Sec-WebSocket-Extensions`), so no socket pays
for a zlib context; a server that does negotiate it (uvicorn with `websockets`)
would need to be measured again before switching.

**Latency (6).** Message -> first event is about 10 ms p50 on PostgreSQL (met on
SQLite): `admit_message` is one transaction of about ten statements ending in a
WAL flush, then the stored `user_message` goes out through Redis and back to the
very socket that sent it. Across two instances at 500 events/s the Redis path is
fast at the median; the tail comes from two servers, the client and PostgreSQL
sharing two cores.

**Server choice (7).** uvicorn is not a clear win. It streams one run faster
(about 1.4x daphne), but ten runs at once and the 500-user burst come out level or
slightly worse (see the uvicorn/daphne ratios), because those limits are the event
loop's own work and the database's commits, not the server. Its bare-socket figure
is lower than daphne's because uvicorn's `send` waits for the socket to drain
(backpressure) while daphne's returns at once and buffers in Twisted: daphne's
figure measures its buffer, not the wire. No reason to change the supported server
on these figures; uvicorn's backpressure is the better behaviour for slow clients.

**Suggested product changes (for the core owner; not made here).**

1. `conversations/engine/storage.py` + `conversations/engine/service.py` /
   `runner.py` (scenario 2, the largest miss): cut the transactions per run.
   `admit_message` then `load_spec` then the first batch are three commits before
   the agent's first event: return the `RunSpec` from `admit_message` (it has
   every field) and store `run_started` in the admission transaction. Allocate
   seqs with one `UPDATE ... SET last_seq = last_seq + n RETURNING last_seq` (raw
   SQL; PostgreSQL and SQLite >= 3.35) instead of `UPDATE` then `SELECT` in
   `store_events`. Expected: ~10 to ~5 commits per short run, so roughly twice the
   runs/s of a burst and half its latency; the same change trims scenario 6's
   message -> first event by one round trip.
2. `agentsite/settings.py` / `conversations/engine/storage.py` `in_db_thread`:
   run database work on a dedicated executor with more threads than the default
   (e.g. 16-32, bounded by PostgreSQL connections), so PostgreSQL's group commit
   can merge the flushes of concurrent runs instead of six at a time. Expected:
   higher commits/s under a burst (scenario 2), no change for one run.
3. `conversations/consumers.py`, `SessionConsumer._message`: send
   `admission.envelope` to this socket through `self.cursor.accept([...])` right
   after `submit_message` returns, instead of waiting for the layer to bring it
   back (the cursor drops the layer's copy). Saves the Redis round trip on
   message -> first event (scenario 6, p50 on PostgreSQL + Redis).
4. `conversations/consumers.py`, `SessionConsumer.session_events` and
   `conversations/layer.py`: encode each frame once at publish time and send the
   text with `self.send(text_data=...)`; today `send_json` runs `json.dumps` per
   frame per socket, the largest share of the loop in the profile (100 sockets
   on a session encode each event 100 times). Expected: a higher one-run ceiling
   and a better 10-runs ratio (scenario 1).
5. `conversations/engine/recorder.py`, `EventRecorder`: flush at once when
   `pending` reaches a size (e.g. 200) and let the window stretch while a write is
   in flight, so concurrent runs write and publish fewer, larger batches (batches
   of 200 store twice what batches of 50 do): fewer `group_send` and commit round
   trips per event when ten runs share the loop (scenario 1, 10 runs).
"""


def analysis() -> str:
    return FINDINGS.strip()
