// Drives POST /api/agui/ with the official client, @ag-ui/client's HttpAgent,
// so its own checks judge our streams: the enforcement stage (schema) and the
// verifier (event order, brackets) run on every event, and either failing
// fails the run. Called by tests/agui/test_official_client.py.
//
//   node drive.mjs '{"url", "token", "threadId", "agent", "text",
//                    "cancelAt"?, "cutAt"?, "lastEventId"?, "resume"?}'
//
// cancelAt: at the first event of that type, cancel the run through REST.
// cutAt: right after the first frame of that event type the body fails as a
//   dropped connection would; the stream is then continued with
//   GET /api/agui/<threadId>/stream/ and Last-Event-ID (connectAgent).
// lastEventId: start there instead, as a client reloaded with its last id.
// resume: a run that ends in interrupts is run again, answering each with
//   this ({status, payload?}).
//
// Prints one JSON report: {runs: [{events: [{id, event}], result, error,
// pendingInterrupts}], messages, state, warnings}; exits 1 if any run failed.
import { HttpAgent, runHttpRequest, transformHttpEventStream } from "@ag-ui/client";

const options = JSON.parse(process.argv[2]);

// The client's schema enforcement strips what it does not know with a warning
// rather than failing: a conforming stream gives none.
const warnings = [];
console.warn = (...args) => warnings.push(args.map(String).join(" "));

// HttpAgent ignores SSE ids, so they are read off the body as it passes: the
// n-th event the client hands a subscriber is the response's n-th data frame
// (an event it makes itself, as the RUN_ERROR that ends a cut, has no id).
let frameIds = [];

// The body handed over one SSE frame per read, recording each frame's id as
// the client takes it. The cut is made here rather than with abortRun():
// Node's fetch never settles a read after an abort once the whole body has
// arrived, so an abort late in a fast stream would hang the client.
function framed(response) {
  if (!response.ok || !response.body) return response;
  const ids = (frameIds = []);
  const source = response.body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const frames = [];
  let buffer = "";
  let cut = false;
  const body = new ReadableStream(
    {
      async pull(controller) {
        if (cut) {
          await source.cancel();
          controller.error(new DOMException("The connection was cut.", "AbortError"));
          return;
        }
        while (!frames.length) {
          const { done, value } = await source.read();
          if (done) {
            if (buffer) controller.enqueue(encoder.encode(buffer)); // for the client to judge
            controller.close();
            return;
          }
          frames.push(...(buffer + decoder.decode(value, { stream: true })).split("\n\n"));
          buffer = frames.pop();
        }
        const frame = frames.shift();
        controller.enqueue(encoder.encode(`${frame}\n\n`));
        const lines = frame.split("\n");
        const data = lines.find((line) => line.startsWith("data:"));
        if (data === undefined) return; // a keep-alive comment
        const id = lines.find((line) => line.startsWith("id:"))?.slice(3).trim() ?? null;
        ids.push(id);
        if (JSON.parse(data.slice(5)).type === options.cutAt) {
          options.cutAt = null;
          cut = true;
          agent.lastEventId = id;
        }
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return new Response(body, response);
}

class ResumableAgent extends HttpAgent {
  lastEventId = options.lastEventId ?? null;

  // AbstractAgent.connectAgent runs this through the same enforcement and
  // verification as a run; HttpAgent has no implementation of its own.
  connect() {
    const url = `${options.url}/api/agui/${this.threadId}/stream/`;
    const headers = {
      ...this.headers,
      Accept: "text/event-stream",
      "Last-Event-ID": this.lastEventId,
    };
    const events = runHttpRequest(() => this.fetch(url, { headers }));
    return transformHttpEventStream(events, this.debugLogger);
  }
}

const agent = new ResumableAgent({
  url: `${options.url}/api/agui/`,
  headers: { Authorization: `Token ${options.token}` },
  threadId: options.threadId,
  // The same id in every thread, so two threads' messages compare equal.
  initialMessages: [{ id: "m1", role: "user", content: options.text }],
  fetch: async (url, init) => framed(await fetch(url, init)),
});

async function cancelRun() {
  const url = `${options.url}/api/sessions/${options.threadId}/cancel/`;
  const response = await fetch(url, { method: "POST", headers: agent.headers });
  if (response.status !== 202) throw new Error(`cancel: HTTP ${response.status}`);
}

const runs = [];

async function drive(start) {
  const run = { events: [], result: null, error: null, pendingInterrupts: [] };
  runs.push(run);
  const subscriber = {
    async onEvent({ event }) {
      run.events.push({ id: frameIds[run.events.length] ?? null, event });
      if (event.type === options.cancelAt) {
        options.cancelAt = null;
        // The client reports a subscriber's error and carries on: keep it.
        await cancelRun().catch((error) => (run.error = String(error)));
      }
    },
  };
  try {
    run.result = (await start(subscriber)).result ?? null;
  } catch (error) {
    run.error = `${error.name}: ${error.message}`;
  }
  run.pendingInterrupts = agent.pendingInterrupts;
}

const forwardedProps = { agent: options.agent };
if (agent.lastEventId === null) {
  await drive((subscriber) => agent.runAgent({ forwardedProps }, subscriber));
}
if (agent.lastEventId !== null) {
  await drive((subscriber) => agent.connectAgent({ forwardedProps }, subscriber));
}
if (options.resume && agent.pendingInterrupts.length) {
  const resume = agent.pendingInterrupts.map((i) => ({ interruptId: i.id, ...options.resume }));
  await drive((subscriber) => agent.runAgent({ forwardedProps, resume }, subscriber));
}

const report = { runs, messages: agent.messages, state: agent.state, warnings };
process.stdout.write(JSON.stringify(report));
process.exitCode = runs.some((run) => run.error) ? 1 : 0;
