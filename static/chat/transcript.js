// The transcript of the open session: applies stored events strictly in seq
// order, each exactly once (REST pages, socket replays and live news may overlap),
// and live deltas to the run they belong to. A gap asks the socket to resume.

import { renderMarkdown } from "./markdown.js";
import { el } from "./dom.js";
import { Turn } from "./turn.js";

// A remembered grant decides a request in the same stored batch, so its
// `approval_resolved` follows the `approval_requested` within milliseconds. A
// request that ends what has arrived waits this long for it: a call that needs
// nobody then shows its decision at once, instead of flashing Approve buttons
// (and the composer's "waits for your approval") for a frame.
const HOLD_REQUEST_MS = 150;

export class Transcript {
  /**
   * @param {HTMLElement} container - the log element
   * @param {object} hooks
   * @param {(seq: number) => HTMLElement} hooks.renderFeedback - controls for an answer
   * @param {(decision: object) => Promise<object|null>} hooks.decide - sends a
   *   decision on an approval
   * @param {boolean} hooks.decidesStaff - this user may decide staff approvals
   * @param {(after: number) => void} hooks.onGap - events after `after` are missing
   * @param {() => void} hooks.onChange - runs started or ended, messages were
   *   stored, approvals were asked for or decided
   * @param {(start: object) => void} hooks.onTurnStart - a message started a
   *   turn: `{boundary, seq, text, run, turn, message}` (see turnStarts)
   * @param {(turn: Turn) => void} hooks.onTurnEnd - a run ended
   */
  constructor(container, hooks) {
    const { renderFeedback, decide, decidesStaff, onGap, onChange } = hooks;
    Object.assign(this, { container, onGap, onChange });
    this.onTurnStart = hooks.onTurnStart ?? (() => {});
    this.onTurnEnd = hooks.onTurnEnd ?? (() => {});
    this.turnHooks = { renderFeedback, decide, decidesStaff };
    this.lastSeq = 0;
    this.turns = new Map();
    // The messages that started a turn, in seq order; `boundary` is the seq
    // just before the message, where an edit or a regenerate forks.
    this.turnStarts = [];
    this.pending = new Map(); // client_id -> element of a message not stored yet
    this.held = null; // {event, timer}: an approval_requested not shown yet
  }

  /** Apply stored events; returns whether the transcript changed. A request
   * at their end is held (see HOLD_REQUEST_MS) unless `hold` is false. */
  applyAll(events, { hold = true } = {}) {
    if (this.held) {
      clearTimeout(this.held.timer);
      events = [this.held.event, ...events];
      this.held = null;
    }
    const last = events.at(-1);
    const holding = hold && last?.type === "approval_requested";
    let changed = false;
    for (const event of holding ? events.slice(0, -1) : events) {
      changed = this.apply(event) || changed;
    }
    if (holding && last.seq > this.lastSeq) {
      const timer = setTimeout(() => {
        this.held = null;
        this.applyAll([last], { hold: false });
      }, HOLD_REQUEST_MS);
      this.held = { event: last, timer };
    }
    if (changed) this.onChange();
    return changed;
  }

  /** The session is closed: nothing held may land in the next one's log. */
  close() {
    clearTimeout(this.held?.timer);
    this.held = null;
  }

  apply(event) {
    if (event.seq <= this.lastSeq) return false; // already shown
    if (event.seq !== this.lastSeq + 1) {
      this.onGap(this.lastSeq); // the socket replays from here; the rest waits
      return false;
    }
    this.lastSeq = event.seq;
    this.render(event);
    return true;
  }

  render(event) {
    switch (event.type) {
      case "user_message":
        return this.userMessage(event);
      case "run_started":
        return this.turn(event.run).started(event);
      case "info":
        return this.turn(event.run).addStep(event, "step-info", "Info", event.data.text);
      case "thought":
        return this.turn(event.run).thought(event);
      case "tool_call":
        return this.turn(event.run).toolCall(event);
      case "approval_requested":
        return this.turn(event.run).approvalRequested(event);
      case "approval_resolved":
        return this.turn(event.run).approvalResolved(event);
      case "tool_result":
      case "tool_error":
        return this.turn(event.run).toolOutcome(event);
      case "state_delta":
        return this.turn(event.run).stateDelta(event);
      case "final":
        return this.turn(event.run).final(event);
      case "error":
        return this.turn(event.run).error(event);
      case "run_finished": {
        const turn = this.turn(event.run);
        turn.finished(event);
        return this.onTurnEnd(turn);
      }
      default: {
        // A type newer than this page: show it plainly rather than lose it.
        const step = el("p", "unknown-event", `${event.type}: ${JSON.stringify(event.data)}`);
        step.dataset.seq = event.seq;
        return this.container.append(step);
      }
    }
  }

  turn(runId) {
    let turn = this.turns.get(runId);
    if (!turn) {
      turn = new Turn(runId, this.turnHooks);
      this.turns.set(runId, turn);
      this.container.append(turn.root);
    }
    return turn;
  }

  userMessage(event) {
    const { client_id: clientId, text, steer } = event.data;
    const pending = this.pending.get(clientId);
    this.pending.delete(clientId);
    // A message taken into a working run is part of that run's turn, in the
    // order the run heard it: a note among its steps, not a turn of its own.
    const steered = steer && this.turns.get(event.run);
    if (steered) {
      pending?.remove();
      steered.steered(event);
      return;
    }
    const message = pending ?? userMessage(text);
    message.classList.remove("is-pending");
    message.querySelector(".bubble-user").dataset.seq = event.seq;
    this.container.append(message); // after anything that arrived while it was pending
    if (!event.run) return;
    const turn = this.turn(event.run);
    if (steer) return; // taken by a run this page never saw: no turn to edit
    const start = { boundary: event.seq - 1, seq: event.seq, text, run: event.run, turn, message };
    this.turnStarts.push(start);
    this.onTurnStart(start);
  }

  /** Show a message the moment it is sent; its stored event takes it over. */
  addPending(clientId, text) {
    const message = userMessage(text);
    message.classList.add("is-pending");
    this.pending.set(clientId, message);
    this.container.append(message);
  }

  /** A message the server refused: it was never stored, so it goes. */
  dropPending(clientId) {
    this.pending.get(clientId)?.remove();
    this.pending.delete(clientId);
    this.onChange(); // the chat may be empty again (starter prompts)
  }

  delta(frame) {
    const turn = this.turns.get(frame.run);
    if (turn?.active) turn.delta(frame.data.text);
  }

  connectionLost() {
    for (const turn of this.turns.values()) turn.connectionLost();
  }

  /** Whether a run is working now (and which), whom it waits for (see
   * Turn.awaiting), and whether any run has not ended yet (a queued one, or one
   * whose `run_started` is still on its way). */
  get activity() {
    const open = [...this.turns.values()].filter((turn) => !turn.ended);
    const active = open.find((turn) => turn.active);
    return {
      running: Boolean(active),
      run: active?.runId ?? null,
      awaiting: active?.awaiting ?? null,
      unfinished: open.length > 0,
    };
  }
}

/** A message of the user: its bubble, and below it room for its actions. */
function userMessage(text) {
  const message = el("div", "user-message");
  const bubble = el("div", "bubble bubble-user");
  bubble.append(renderMarkdown(text));
  message.append(bubble);
  return message;
}
