// Wiring of the chat page: which session is open (kept in `?session=` so a reload
// or a shared link comes back to it), its transcript and socket, the sidebar, the
// composer and the dialogs. Each of those lives in its own module.

import * as api from "./api.js";
import { Composer } from "./composer.js";
import { sessionDialogs } from "./dialogs.js";
import { Drawer } from "./drawer.js";
import { TurnControls } from "./edit.js";
import { feedbackControls } from "./feedback.js";
import { GrantsDialog } from "./grants.js";
import { Outbox } from "./outbox.js";
import { messageRefusal } from "./rejections.js";
import { Sidebar } from "./sidebar.js";
import { connectionText, SessionSocket } from "./socket.js";
import { Starters } from "./starters.js";
import { Transcript } from "./transcript.js";
import { forgetVersion, rememberedVersion, Versions } from "./versions.js";

const config = JSON.parse(document.getElementById("chat-config").textContent);
const $ = (id) => document.getElementById(id);

const state = {
  session: null, // the open session as the API describes it
  socket: null,
  transcript: null,
  versions: null, // the open session's family and its turns' version pagers
  controls: null, // Edit and Regenerate on its turns
  outbox: null, // the message sent and not yet acknowledged (outbox.js)
  askedResumeAfter: null,
  opening: 0, // bumps on every switch, so a slow load cannot land in another chat
  agents: new Map(),
};

const sidebar = new Sidebar(
  { list: $("session-list"), search: $("session-search"), empty: $("sessions-empty") },
  (id) => {
    drawer.show(false);
    // A chat opens at the version last viewed in it, if that still exists.
    const remembered = rememberedVersion(id);
    navigate(remembered ?? id, { fallback: remembered && id });
  },
);

const composer = new Composer(
  { form: $("composer"), input: $("message"), send: $("send"), stop: $("stop"), hint: $("composer-hint") },
  { onSend: sendMessage, onStop: stopRun },
);

// A pressed starter prompt goes through the composer, as if typed and sent, so a
// refused one comes back to the box like any other message.
const starters = new Starters($("starters"), (text) => {
  $("message").value = text;
  composer.submit();
});

/** Offer the agent's starter prompts while the chat is empty, and only then. */
function updateStarters() {
  const agent = state.session ? state.session.agent : $("agent-picker").value;
  const empty = state.session
    ? state.transcript !== null && $("transcript").childElementCount === 0
    : !$("welcome").hidden;
  if (empty && !composer.state.sending) starters.show(state.agents.get(agent)?.examples);
  else starters.hide();
}

function announce(text) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => {
    notice.hidden = true;
  }, 6000);
}

function report(error) {
  if (error instanceof api.ApiError && error.signedOut) {
    window.location.assign(config.signInUrl);
    return;
  }
  announce(error.message || String(error));
}

function setConnection(name, detail) {
  const badge = $("connection");
  badge.dataset.state = name;
  badge.textContent = connectionText(name, detail);
  if (name !== "live") state.transcript?.connectionLost();
  if (name === "signed-out") window.location.assign(config.signInUrl);
}

function socketUrl(id) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${config.wsPath}${encodeURIComponent(id)}/`;
}

function closeSession() {
  state.opening += 1;
  state.socket?.close();
  state.socket = null;
  state.outbox?.drop();
  state.outbox = null;
  state.session = null;
  state.transcript?.close();
  state.transcript = null;
  state.versions?.close();
  state.versions = null;
  state.askedResumeAfter = null;
  $("transcript").replaceChildren();
  starters.hide();
  composer.set({ running: false, run: null, awaiting: null, unfinished: false });
  setConnection("idle");
}

/** Show the new-chat screen: an agent picker above an empty composer. */
function showWelcome() {
  closeSession();
  sidebar.select(null);
  $("chat-title").textContent = "New chat";
  $("chat-agent").textContent = "";
  $("session-actions").hidden = true;
  $("welcome").hidden = false;
  $("transcript").hidden = true;
  composer.setAgent(state.agents.get($("agent-picker").value));
  updateStarters();
  composer.focus();
}

/** Open a session: its stored transcript over REST, then the socket from there.
 * `place` is where a move between versions came from: `{at, step}` (versions.js);
 * `fallback` is opened instead should the session no longer exist. */
async function openSession(id, { place = null, fallback = null } = {}) {
  // Moving between versions keeps the chat list's entry marked meanwhile.
  const root = state.versions?.rootOf(id) ?? fallback ?? id;
  closeSession();
  const opening = state.opening;
  sidebar.select(root);
  $("welcome").hidden = true;
  $("transcript").hidden = false;
  $("chat-title").textContent = sidebar.find(id)?.title || "Loading…";
  setConnection("connecting");
  let session;
  try {
    session = await api.getSession(id);
  } catch (error) {
    if (error.status === 404 && fallback) {
      forgetVersion(fallback);
      navigate(fallback, { replace: true });
    } else if (error.status === 404) {
      announce("That chat no longer exists.");
      navigate(null, { replace: true });
    } else {
      report(error);
    }
    return;
  }
  if (opening !== state.opening) return;
  state.session = session;
  showSessionHeader();
  composer.setAgent(state.agents.get(session.agent));
  const ratings = await api.ratedAnswers(id).catch(() => new Map());
  if (opening !== state.opening) return;
  // The edited or regenerated turn streams in the fork: the keyboard goes on there.
  const openFork = (fork) => openVersion(fork).then(() => composer.focus());
  const controls = new TurnControls({ sessionId: id, openVersion: openFork, announce });
  const transcript = new Transcript($("transcript"), {
    renderFeedback: (seq) => feedbackControls(session.id, seq, announce, ratings.get(seq)),
    decide,
    decidesStaff: $("transcript").dataset.decidesStaff === "true",
    onGap: askResume,
    onChange: transcriptChanged,
    onTurnStart: (start) => {
      controls.messageAdded(start);
      state.versions?.draw();
    },
    onTurnEnd: (turn) => controls.turnEnded(turn),
  });
  const versions = new Versions({
    session,
    transcript,
    open: openVersion,
    onRoot: (listed) => sidebar.select(listed),
  });
  const outbox = new Outbox(
    { socket: () => state.socket, transcript },
    { onAck: refreshSidebar, onRefused: announce },
  );
  Object.assign(state, { transcript, controls, versions, outbox });
  try {
    for await (const events of api.transcriptPages(id)) {
      if (opening !== state.opening) return;
      transcript.applyAll(events);
    }
  } catch (error) {
    report(error);
  }
  if (opening !== state.opening) return;
  const turn = place && transcript.turnStarts.find((start) => start.boundary === place.at);
  if (turn) turn.message.scrollIntoView({ block: "start" });
  else scrollToEnd(true);
  versions.refresh().then(() => place && versions.focusPager(place));
  updateStarters();
  state.socket = new SessionSocket({
    url: socketUrl(id),
    cursor: () => transcript.lastSeq,
    onFrame: receive,
    onState: setConnection,
  });
}

function showSessionHeader() {
  const { session } = state;
  $("chat-title").textContent = session.title || "New chat";
  $("chat-agent").textContent = session.agent;
  $("session-actions").hidden = false;
  document.title = `${session.title || "New chat"} · agentsite`;
}

function receive(frame) {
  const { transcript } = state;
  switch (frame.type) {
    case "hello":
      state.askedResumeAfter = null;
      state.outbox?.resend(); // same client_id: no double
      return;
    case "ack": // replies go to the frame that waits for them (SessionSocket.request)
      return;
    case "rejected": // a refusal that no frame of this page waits for
      announce(messageRefusal(frame));
      return;
    case "delta":
      transcript.delta(frame);
      scrollToEnd();
      return;
    case "versions": // a fork was made in this chat's family, in any tab
      state.versions?.refresh(frame.session);
      return;
    default:
      if (typeof frame.seq === "number") {
        transcript.applyAll([frame]);
        scrollToEnd();
      }
  }
}

function askResume(after) {
  if (state.askedResumeAfter === after) return; // the replay is already coming
  if (state.socket?.send({ type: "resume", after })) state.askedResumeAfter = after;
}

function transcriptChanged() {
  scrollToEnd(); // also for an approval card shown after its hold (transcript.js)
  const activity = state.transcript.activity;
  const { unfinished: wasUnfinished, awaiting: wasAwaiting } = composer.state;
  composer.set(activity);
  state.controls.setBusy(activity.unfinished);
  updateStarters();
  // The list says which chats wait for approval: this one started or stopped.
  const awaitingChanged = Boolean(wasAwaiting) !== Boolean(activity.awaiting);
  if ((wasUnfinished && !activity.unfinished) || awaitingChanged) refreshSidebar();
}

/** Reload the session list; the open session's title may have been set meanwhile
 * (the server names a session after its first message). */
async function refreshSidebar() {
  try {
    await sidebar.refresh();
  } catch (error) {
    report(error);
    return;
  }
  const listed = state.session && sidebar.find(state.session.id);
  if (listed) {
    state.session = listed;
    showSessionHeader();
  }
}

/** Follow the stream unless the reader scrolled up to read something earlier. */
function scrollToEnd(force = false) {
  const log = $("transcript");
  const nearEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  if (force || nearEnd) log.scrollTop = log.scrollHeight;
}

async function sendMessage(text, { steer = false } = {}) {
  if (!state.session) {
    try {
      const created = await api.createSession($("agent-picker").value);
      await navigate(created.id);
    } catch (error) {
      report(error);
      return false;
    }
  }
  if (!state.outbox) return false; // the chat did not open
  const sent = state.outbox.send(text, { steer });
  updateStarters();
  scrollToEnd(true);
  return sent;
}

/** Send a decision on an approval: the server's reply, or null when not sent. */
function decide({ approval, decision, args, reason, remember }) {
  const frame = { type: "resolve", approval, decision };
  if (args !== undefined) frame.args = args;
  if (reason) frame.reason = reason;
  if (remember) frame.remember = remember;
  return state.socket ? state.socket.request(frame) : Promise.resolve(null);
}

/** Ask the server to stop the run; the Stop button says "Stopping…" meanwhile
 * (no notice, which would outlive the run). False when nothing was stopped. */
async function stopRun() {
  try {
    await api.cancelRun(state.session.id);
    return true;
  } catch (error) {
    if (error.status === 409) announce("Nothing to stop: the run already ended.");
    else report(error);
    return false;
  }
}

async function navigate(id, { replace = false, ...opening } = {}) {
  const url = id ? `?session=${encodeURIComponent(id)}` : location.pathname;
  history[replace ? "replaceState" : "pushState"]({ id }, "", url);
  await (id ? openSession(id, opening) : showWelcome());
}

/** Another version of the open chat, in place: the same entry in history. */
function openVersion(id, place = null) {
  return navigate(id, { replace: true, place });
}

function routeFromLocation() {
  const id = new URLSearchParams(location.search).get("session");
  return id ? openSession(id) : showWelcome();
}

// --- dialogs: rename and delete, and the tools always allowed ----------------

sessionDialogs({
  current: () => state.session,
  renamed: refreshSidebar,
  deleted: async () => {
    announce("Chat deleted.");
    await navigate(null);
    await refreshSidebar();
  },
  report,
});

new GrantsDialog(report);

// --- layout: the sidebar slides over the chat on a phone ---------------------

const drawer = new Drawer({
  layout: $("layout"),
  toggle: $("sidebar-toggle"),
  scrim: $("scrim"),
  sidebar: $("sidebar"),
  fallback: $("new-chat"),
});

$("new-chat").addEventListener("click", () => {
  drawer.show(false);
  navigate(null);
});

$("agent-picker").addEventListener("change", () => {
  const agent = state.agents.get($("agent-picker").value);
  $("agent-description").textContent = agent?.description ?? "";
  composer.setAgent(agent);
  updateStarters();
});

window.addEventListener("popstate", routeFromLocation);
// Other chats get no socket here: coming back to the page is when their
// approvals may have changed.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refreshSidebar();
});

async function start() {
  try {
    const agents = await api.listAgents();
    for (const agent of agents) state.agents.set(agent.name, agent);
    const picker = $("agent-picker");
    picker.replaceChildren(
      ...agents.map((agent) => new Option(agent.name, agent.name, false, agent.name === config.defaultAgent)),
    );
    picker.dispatchEvent(new Event("change"));
  } catch (error) {
    report(error);
  }
  refreshSidebar();
  await routeFromLocation();
}

start();
