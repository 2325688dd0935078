// The DOM of one run: the agent's quiet "thinking" trail (info, thoughts, tool
// cards with their approvals, state changes), its answer bubble, errors and how
// the run ended.
// Every stored event gets an element carrying its `data-seq`; live-only deltas
// fill a draft bubble that the stored answer replaces.

import { ApprovalCard } from "./approval.js";
import { copyButton } from "./copy.js";
import { el, icon } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const ENDINGS = {
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
  interrupted: "Interrupted: the server stopped before the run ended",
};

export function formatDuration(ms) {
  if (ms == null) return "";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

// A tool_error's code, when it has one, says more than "Error": whether the call
// ran at all.
const ERRORS = {
  rejected: { label: "Not run: rejected", timing: "not run" },
  expired: { label: "Not run: expired", timing: "not run" },
  in_doubt: { label: "In doubt: it may or may not have happened", timing: "in doubt" },
};
const PLAIN_ERROR = { label: "Error", timing: "failed" };

// Text as it is (an MCP server's text content keeps its lines); structured
// values as JSON, indented when `indent` is given (a tool's result object).
function formatValue(value, indent = 0) {
  return typeof value === "string" ? value : JSON.stringify(value, null, indent || undefined);
}

// An MCP server's tool is offered as mcp_<server>__<tool>.
const MCP_TOOL = /^mcp_(.+?)__(.+)$/;

export class Turn {
  /**
   * @param {string} runId
   * @param {object} hooks
   * @param {(seq: number) => HTMLElement} hooks.renderFeedback - controls for an answer
   * @param {(decision: object) => Promise<object|null>} hooks.decide - sends a
   *   decision on an approval (see ApprovalCard)
   * @param {boolean} hooks.decidesStaff - this user may decide staff approvals
   */
  constructor(runId, { renderFeedback, decide, decidesStaff }) {
    Object.assign(this, { runId, renderFeedback, decide, decidesStaff });
    this.agentName = null; // from run_started
    this.toolCards = new Map();
    this.approvals = new Map(); // call_id -> ApprovalCard
    this.stepCount = 0;
    this.toolCount = 0;
    this.steerCount = 0; // messages the user sent while the run worked
    this.versionsNode = null; // "‹ 2 / 3 ›" when the turn has other versions
    this.userToggled = false;
    this.draftText = "";
    this.drawPending = false;

    this.root = el("section", "turn");
    this.root.dataset.run = runId;
    this.root.dataset.status = "queued";
    this.root.setAttribute("aria-label", "Agent");
    this.meta = el("div", "turn-meta");
    this.agent = el("span", "turn-agent", "Agent");
    this.state = el("span", "turn-state", "waiting…");
    this.meta.append(this.agent, this.state);

    this.trail = el("details", "trail");
    this.trail.hidden = true;
    const summary = el("summary", "trail-summary");
    this.pulse = el("span", "pulse");
    this.pulse.setAttribute("aria-hidden", "true");
    this.trailLabel = el("span", "trail-label", "Thinking");
    summary.append(this.pulse, this.trailLabel);
    summary.addEventListener("click", () => {
      this.userToggled = true;
    });
    this.steps = el("ol", "trail-steps");
    this.trail.append(summary, this.steps);

    this.body = el("div", "turn-body");
    // Versions, copy, regenerate, rating of the answer, how the run ended.
    this.footer = el("div", "turn-foot");
    this.root.append(this.meta, this.trail, this.body, this.footer);
  }

  get active() {
    return this.root.dataset.status === "running";
  }

  get ended() {
    return this.root.dataset.status in ENDINGS;
  }

  /** Who the run waits for: "you" when this user may decide a pending approval,
   * "staff" when only staff may, null when nothing is pending. */
  get awaiting() {
    const pending = [...this.approvals.values()].filter((card) => card.pending);
    if (pending.some((card) => card.mayDecide)) return "you";
    return pending.length ? "staff" : null;
  }

  started(event) {
    this.agentName = event.data.agent;
    this.agent.textContent = event.data.agent ?? "Agent";
    this.agent.dataset.seq = event.seq;
    this.root.setAttribute("aria-label", `${this.agent.textContent}'s answer`);
    this.root.dataset.status = "running";
    this.state.textContent = "working…";
    this.trail.hidden = false;
    this.trail.open = true; // an open kitchen: watch the run as it happens
    this.updateTrailLabel();
  }

  addStep(event, className, label, text) {
    const step = el("li", `step ${className}`);
    step.dataset.seq = event.seq;
    step.append(el("span", "step-label", label), el("span", "step-text", text));
    this.appendStep(step);
  }

  appendStep(node) {
    this.steps.append(node);
    this.stepCount += 1;
    this.trail.hidden = false;
    this.updateTrailLabel();
  }

  /** A message the user sent while the run worked, stored as it reached the
   * run: shown where the run took it, as the person's words. */
  steered(event) {
    const note = el("li", "step step-steer");
    note.dataset.seq = event.seq;
    const bubble = el("div", "bubble bubble-user bubble-steer");
    bubble.append(renderMarkdown(event.data.text));
    note.append(el("span", "step-label", "You, sent while working"), bubble);
    this.steps.append(note); // not one of the agent's steps: not counted
    this.steerCount += 1;
    this.trail.hidden = false;
    this.trail.open = true;
    this.updateTrailLabel();
  }

  /** Show (or, with null, remove) the turn's version pager, first in the footer. */
  setVersions(node) {
    this.versionsNode?.remove();
    this.versionsNode = node;
    if (node) this.footer.prepend(node);
  }

  /** An action on the finished turn (Regenerate), before its rating. */
  addAction(node) {
    const before = this.footer.querySelector(":scope > .feedback, :scope > .turn-end");
    if (before) before.before(node);
    else this.footer.append(node);
  }

  thought(event) {
    // Text streamed before a tool call was the model thinking aloud; the stored
    // thought now says it, so the draft would show it twice.
    this.clearDraft();
    this.addStep(event, "step-thought", "Thought", event.data.text);
  }

  toolCall(event) {
    const { call_id: callId, tool, args } = event.data;
    const card = el("li", "step tool-card");
    card.dataset.seq = event.seq;
    card.dataset.state = "running";
    const head = el("div", "tool-head");
    head.append(icon("tool"), el("code", "tool-name", tool));
    const mcp = MCP_TOOL.exec(tool);
    if (mcp) {
      const server = el("span", "tool-server", `MCP · ${mcp[1]}`);
      server.title = `${mcp[2]} on the MCP server “${mcp[1]}”`;
      head.append(server);
    }
    const timing = el("span", "tool-timing", "running…");
    head.append(timing);
    const argsBlock = el("pre", "tool-args", formatValue(args ?? {}));
    argsBlock.setAttribute("aria-label", `Arguments of ${tool}`);
    card.append(head, argsBlock);
    this.toolCards.set(callId, { card, timing });
    this.toolCount += 1;
    this.appendStep(card);
  }

  approvalRequested(event) {
    const { call_id: callId, approver } = event.data;
    const approval = new ApprovalCard(event, {
      decide: this.decide,
      mayDecide: approver !== "staff" || this.decidesStaff,
      agent: this.agentName,
    });
    this.approvals.set(callId, approval);
    const entry = this.toolCards.get(callId);
    if (entry) {
      entry.card.dataset.state = "awaiting";
      entry.timing.textContent = "awaiting approval";
      entry.card.append(approval.root);
    } else {
      // A request without its call is never expected; still show it, on its own.
      const step = el("li", "step tool-card");
      step.append(approval.root);
      this.appendStep(step);
    }
    this.trail.open = true; // a decision is needed: never leave it folded away
    this.updateWaiting();
  }

  approvalResolved(event) {
    const { call_id: callId, decision } = event.data;
    const approval = this.approvals.get(callId);
    if (!approval) {
      this.addStep(event, "step-info", "Approval", decision);
      return;
    }
    approval.resolved(event);
    const entry = this.toolCards.get(callId);
    if (entry?.card.dataset.state === "awaiting") {
      entry.card.dataset.state = "running"; // until its outcome says how it went
      entry.timing.textContent = decision === "approved" || decision === "edited" ? "running…" : "";
    }
    this.updateWaiting();
  }

  /** The run's state line and trail say whom the run waits for, if anyone. */
  updateWaiting() {
    const awaiting = this.active ? this.awaiting : null;
    this.root.dataset.awaiting = awaiting ?? "";
    this.updateTrailLabel();
    if (!this.active) return;
    this.state.textContent = awaiting
      ? `Waiting for ${awaiting === "you" ? "your" : "staff"} approval`
      : "working…";
  }

  toolOutcome(event) {
    const { call_id: callId, tool, result, error, code, duration_ms: durationMs } = event.data;
    const failed = event.type === "tool_error";
    const failure = failed ? (ERRORS[code] ?? PLAIN_ERROR) : null;
    const label = failure?.label ?? "Result";
    const entry = this.toolCards.get(callId);
    if (!entry) {
      // An outcome without its call is never expected; still show it, on its own.
      this.addStep(event, "step-tool", `${tool}: ${label}`, formatValue(failed ? error : result, 2));
      return;
    }
    const outcome = el("div", failed ? "tool-outcome tool-error" : "tool-outcome");
    outcome.dataset.seq = event.seq;
    if (code) outcome.dataset.code = code;
    outcome.append(
      el("span", "tool-outcome-label", label),
      el("pre", "tool-value", formatValue(failed ? error : result, 2)),
    );
    entry.card.append(outcome);
    entry.card.dataset.state = failed ? "failed" : "done";
    entry.timing.textContent = failure?.timing ?? formatDuration(durationMs);
  }

  stateDelta(event) {
    const changes = Object.entries(event.data.changes ?? {}).map(([key, value]) =>
      value === null ? `forgot ${key}` : `${key} = ${formatValue(value)}`,
    );
    this.addStep(event, "step-state", `Memory (${event.data.scope})`, changes.join("; "));
  }

  delta(text) {
    this.draftText += text;
    if (!this.draft) {
      this.draft = el("div", "bubble bubble-agent is-draft");
      this.draft.setAttribute("aria-busy", "true"); // read once complete, not per token
      this.body.append(this.draft);
    }
    // Repaint at most once a frame however fast tokens come.
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draft?.replaceChildren(renderMarkdown(this.draftText), el("span", "caret"));
    });
  }

  clearDraft() {
    this.draft?.remove();
    this.draft = null;
    this.draftText = "";
  }

  final(event) {
    this.clearDraft();
    const bubble = el("div", "bubble bubble-agent");
    bubble.dataset.seq = event.seq;
    bubble.append(renderMarkdown(event.data.text));
    if (event.data.partial) bubble.append(el("p", "bubble-note", "Cut short by the stop."));
    this.body.append(bubble);
    const controls = [copyButton(event.data.text), this.renderFeedback(event.seq)];
    if (this.versionsNode) this.versionsNode.after(...controls);
    else this.footer.prepend(...controls);
  }

  error(event) {
    const notice = el("p", "run-error");
    notice.dataset.seq = event.seq;
    notice.setAttribute("role", "alert");
    notice.append(
      el("strong", "", "Something went wrong: "),
      document.createTextNode(event.data.message ?? event.data.code ?? "unknown error"),
    );
    this.body.append(notice);
  }

  finished(event) {
    this.clearDraft();
    const { status, duration_ms: durationMs } = event.data;
    this.root.dataset.status = status;
    this.root.dataset.awaiting = "";
    this.state.textContent = ""; // the footer says how it ended
    const end = el("p", `turn-end turn-end-${status}`);
    end.dataset.seq = event.seq;
    end.textContent = [ENDINGS[status] ?? status, formatDuration(durationMs)]
      .filter(Boolean)
      .join(" · ");
    this.footer.append(end);
    // A trail with approvals or messages sent while it worked stays open: a
    // person's words are part of the conversation, not thinking to fold away.
    const personal = this.approvals.size > 0 || this.steerCount > 0;
    if (!this.userToggled && !personal) this.trail.open = false;
    this.updateTrailLabel();
  }

  /** Drop a draft left by a dropped connection: its missed tokens cannot be replayed. */
  connectionLost() {
    this.clearDraft();
  }

  updateTrailLabel() {
    const waiting = this.active && this.awaiting;
    const parts = [waiting ? "Waiting for approval" : this.active ? "Thinking" : "Thought"];
    if (this.stepCount) parts.push(`${this.stepCount} step${this.stepCount === 1 ? "" : "s"}`);
    if (this.toolCount) parts.push(`${this.toolCount} tool${this.toolCount === 1 ? "" : "s"}`);
    if (this.steerCount) {
      parts.push(`${this.steerCount} message${this.steerCount === 1 ? "" : "s"} from you`);
    }
    this.trailLabel.textContent = parts.join(" · ");
    this.trail.hidden = !this.active && this.stepCount === 0 && this.steerCount === 0;
  }
}
