// The approval card of a tool call that waits for a person (PROTOCOL.md section
// 5): who decides and by when, Approve (once, or always in this chat or with this
// agent) / Edit / Reject while it is pending, and the decision once
// `approval_resolved` is stored. The card is drawn from stored events only, so
// every tab and every reload shows the same one; only a decision on its way and
// the server's refusal of it belong to this tab.

import { el } from "./dom.js";
import { decisionRefusal } from "./rejections.js";

const DECISIONS = {
  approved: "Approved",
  edited: "Approved with changes",
  rejected: "Rejected",
  expired: "Expired",
};

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function button(text, className = "button button-small") {
  const node = el("button", className, text);
  node.type = "button";
  return node;
}

/** A labelled field (textarea or input) and the label that names it. */
function field(tag, id, labelText) {
  const label = el("label", "approval-label", labelText);
  label.htmlFor = id;
  const input = el(tag, "approval-input");
  input.id = id;
  return [label, input];
}

/** What the decision was, by whom and why, in one line. A grant on a person's
 * decision is the consent they asked to keep; on a decision nobody made now, the
 * consent kept earlier. */
function decisionText({ decision, by, reason, grant }) {
  if (decision === "expired") return "Expired: nobody decided in time";
  if (!by && grant) return `${DECISIONS[decision] ?? decision}: you allowed this before`;
  const who = by ? ` by ${by}` : "";
  const kept = by && grant ? ", and allowed from now on" : "";
  return `${DECISIONS[decision] ?? decision}${who}${kept}${reason ? `: ${reason}` : ""}`;
}

export class ApprovalCard {
  /**
   * @param {object} event - the stored `approval_requested`
   * @param {object} hooks
   * @param {(decision: object) => Promise<object|null>} hooks.decide - sends a
   *   decision; the server's reply, or null when it could not be sent
   * @param {boolean} hooks.mayDecide - whether this user may decide it
   * @param {string} [hooks.agent] - the agent that asked, for the "always" choices
   */
  constructor(event, { decide, mayDecide, agent }) {
    const { approval, tool, args, approver, expires_at: expiresAt } = event.data;
    Object.assign(this, { approval, tool, args, approver, agent, decide, mayDecide });
    this.pending = true;
    this.busy = false; // a decision is on its way

    this.root = el("div", "approval");
    this.root.dataset.seq = event.seq;
    this.root.dataset.state = "pending";
    this.root.setAttribute("role", "group");
    this.root.setAttribute("aria-label", `Approval of ${tool}`);
    // Read out when it changes (pending, then decided); focus lands here once
    // the buttons a keyboard user was on are gone.
    const decider = approver === "staff" ? "staff" : "your";
    this.status = el("p", "approval-status", `Waiting for ${decider} approval`);
    this.status.setAttribute("role", "status");
    this.status.tabIndex = -1;
    this.expiry = el("p", "approval-expiry", "Expires ");
    const time = el("time", "", when.format(new Date(expiresAt)));
    time.dateTime = expiresAt;
    this.expiry.append(time);
    this.problem = el("p", "approval-problem");
    this.problem.setAttribute("role", "alert");
    this.problem.hidden = true;
    this.root.append(this.status, this.expiry);
    if (!mayDecide) return;
    this.root.append(...this.controls(), this.problem);
    // While a decision is on its way no button does anything (see setBusy).
    this.root.addEventListener(
      "click",
      (event) => {
        if (!this.busy || !event.target.closest("button")) return;
        event.preventDefault();
        event.stopImmediatePropagation();
      },
      true,
    );
  }

  /** The buttons and the two forms they open (each hidden until asked for):
   * Approve / Edit / Reject, then a row of approvals that are remembered.
   * Approve comes first, so Tab reaches it first. */
  controls() {
    this.actions = el("div", "approval-choices");
    this.approveButton = button("Approve", "button button-small button-primary");
    this.editButton = button("Edit");
    this.rejectButton = button("Reject");
    const decide = el("div", "approval-actions");
    decide.append(this.approveButton, this.editButton, this.rejectButton);
    this.actions.append(decide);
    const always = this.alwaysButtons();
    if (always.length) {
      const row = el("div", "approval-actions");
      row.append(...always);
      this.actions.append(row);
    }
    this.approveButton.addEventListener("click", () => this.send({ decision: "approve" }));

    const argsId = `approval-args-${this.approval}`;
    const [argsLabel, argsInput] = field("textarea", argsId, "Arguments (JSON)");
    this.argsInput = argsInput;
    argsInput.spellcheck = false;
    this.editForm = this.form(argsLabel, argsInput, "Approve", this.editButton, () => {
      const args = this.parseArgs();
      if (args) this.send({ decision: "approve", args });
    });
    this.editButton.addEventListener("click", () => {
      argsInput.value = JSON.stringify(this.args ?? {}, null, 2);
      argsInput.rows = Math.min(12, argsInput.value.split("\n").length + 1);
      this.open(this.editForm, argsInput);
    });

    const reasonId = `approval-reason-${this.approval}`;
    const [reasonLabel, reasonInput] = field("input", reasonId, "Reason (optional)");
    reasonInput.type = "text";
    reasonInput.maxLength = 2000;
    this.rejectForm = this.form(reasonLabel, reasonInput, "Reject", this.rejectButton, () =>
      this.send({ decision: "reject", reason: reasonInput.value.trim() }),
    );
    this.rejectButton.addEventListener("click", () => {
      reasonInput.value = "";
      this.open(this.rejectForm, reasonInput);
    });
    return [this.actions, this.editForm, this.rejectForm];
  }

  /** Approve and remember it, for this chat or for every chat with this agent.
   * Not offered for staff approvals: the consent kept is the owner's, and a
   * four-eyes check that one decision switches off for good is no check. */
  alwaysButtons() {
    if (this.approver === "staff") return [];
    const agent = this.agent ? ` with ${this.agent}` : " with this agent";
    const choices = [
      ["Always for this chat", "session", "in this chat"],
      ["Always for this agent", "agent", `in all your chats${agent}`],
    ];
    return choices.map(([text, remember, where]) => {
      const node = button(text);
      node.title = `Approve, and run ${this.tool} without asking ${where} from now on`;
      node.addEventListener("click", () => this.send({ decision: "approve", remember }));
      return node;
    });
  }

  /** A form in place of the buttons: its field, a submit and Cancel; Escape
   * cancels too, and either way focus goes back to the button that opened it. */
  form(label, input, submitText, opener, onSubmit) {
    const form = el("form", "approval-form");
    form.hidden = true;
    const tone = submitText === "Reject" ? "button-danger" : "button-primary";
    const submit = el("button", `button button-small ${tone}`, submitText);
    submit.type = "submit";
    const cancel = button("Cancel");
    const buttons = el("div", "approval-actions");
    buttons.append(submit, cancel);
    form.append(label, input, buttons);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      onSubmit();
    });
    const close = () => {
      this.showButtons();
      opener.focus();
    };
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      close();
    });
    return form;
  }

  open(form, input) {
    this.actions.hidden = true;
    this.editForm.hidden = form !== this.editForm;
    this.rejectForm.hidden = form !== this.rejectForm;
    this.say(null);
    input.focus();
  }

  showButtons() {
    this.actions.hidden = false;
    this.editForm.hidden = true;
    this.rejectForm.hidden = true;
    this.say(null);
  }

  /** The edited arguments, or null (and why, on the card) when they are not a JSON object. */
  parseArgs() {
    let args;
    try {
      args = JSON.parse(this.argsInput.value);
    } catch (error) {
      this.say(`The arguments are not valid JSON: ${error.message}`);
      this.argsInput.focus();
      return null;
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      this.say('The arguments must be a JSON object, like {"name": "value"}.');
      this.argsInput.focus();
      return null;
    }
    return args;
  }

  say(problem) {
    this.problem.textContent = problem ?? "";
    this.problem.hidden = !problem;
  }

  /** While a decision is on its way the buttons say so and do nothing; they stay
   * enabled, so the focus stays on the one that was pressed. */
  setBusy(busy) {
    this.busy = busy;
    this.root.setAttribute("aria-busy", String(busy));
    for (const control of this.root.querySelectorAll("button")) {
      control.setAttribute("aria-disabled", String(busy));
    }
  }

  /** Send a decision; the card stays pending (its buttons too) until the stored
   * `approval_resolved` says otherwise, so a refusal can be fixed and sent again. */
  async send(decision) {
    if (this.busy) return;
    this.setBusy(true);
    this.say(null);
    const reply = await this.decide({ approval: this.approval, ...decision });
    if (!this.pending) return; // decided meanwhile (this tab's decision or another's)
    if (reply?.type === "ack") return; // its approval_resolved is on its way
    this.setBusy(false);
    this.say(
      reply
        ? decisionRefusal(reply)
        : "Not sent: the page is not connected. Try again once it is Live.",
    );
  }

  /** The stored decision: the card says it and offers nothing more. */
  resolved(event) {
    const { decision, args } = event.data;
    const hadFocus = this.root.contains(document.activeElement);
    this.pending = false;
    this.root.dataset.state = decision;
    this.root.removeAttribute("aria-busy");
    this.status.dataset.seq = event.seq;
    this.status.textContent = decisionText(event.data);
    this.expiry.remove();
    for (const part of [this.actions, this.editForm, this.rejectForm, this.problem]) part?.remove();
    if (decision === "edited") {
      const ran = el("pre", "tool-args", JSON.stringify(args));
      ran.setAttribute("aria-label", "Arguments as approved");
      this.root.append(ran);
    }
    if (hadFocus) this.status.focus();
  }
}
