// The message box: Enter sends, Shift+Enter adds a line (on a touch screen
// Enter adds a line and Send sends). While a run is active
// it follows the agent's policy honestly: `reject` holds the message until the
// run ends (or is stopped), `enqueue` queues it, `interrupt` stops the run first.
// An agent that takes steering gets a message sent while its run works at its
// next step instead (`"steer": true`), whatever its policy; `steer` queues one
// sent before the run has started working.
// A run waiting for an approval takes no message whatever the policy.

const HINTS = {
  reject: "The agent is answering. Send when it is done, or stop it.",
  enqueue: "The agent is answering. Your message will wait its turn.",
  interrupt: "The agent is answering. Sending stops it and answers this instead.",
  steer: "The agent is about to answer. Your message will wait its turn.",
};
const STEER_HINT = "The agent is working. Your message will reach it at its next step.";
const STEER_PLACEHOLDER = "Add something for the agent's next step…";
const AWAITING_HINTS = {
  you: "A tool call waits for your approval. Decide it above, or stop the run.",
  staff: "A tool call waits for staff approval. You can stop the run meanwhile.",
};
const SEND_LABELS = { reject: "Send", enqueue: "Queue", interrupt: "Interrupt and send", steer: "Queue" };

/** On a touch screen the keyboard's Enter adds a line and Send sends, as in
 * other phone chat apps; the hint says which applies. A narrow screen has no
 * room for the Shift+Enter half (and is most often a phone anyway). */
const TOUCH = window.matchMedia("(pointer: coarse)");
const NARROW = window.matchMedia("(max-width: 760px)");
const touch = () => TOUCH.matches;

function idleHint() {
  if (touch()) return "Tap Send to send";
  return NARROW.matches ? "Enter to send" : "Enter to send · Shift+Enter for a new line";
}

export class Composer {
  /**
   * @param {object} parts - form, textarea, send and stop buttons, hint element
   * @param {object} handlers - onSend(text, {steer}) resolves true once the server
   *   took the message (false gives the text back to the box), onStop()
   */
  constructor({ form, input, send, stop, hint }, { onSend, onStop }) {
    Object.assign(this, { form, input, send, stop, hint, onSend, onStop });
    this.policy = "reject";
    this.steering = false; // the agent takes messages into a working run
    this.placeholder = input.placeholder;
    this.state = { running: false, run: null, awaiting: null, unfinished: false, sending: false };
    this.stoppingRun = null; // the run Stop was pressed for, until it ends
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch()) {
        event.preventDefault();
        this.submit();
      }
    });
    input.addEventListener("input", () => this.update());
    stop.addEventListener("click", () => this.pressStop());
    this.stopLabel = stop.querySelector(".stop-label");
    for (const query of [TOUCH, NARROW]) query.addEventListener("change", () => this.update());
    this.update();
  }

  /** Whether a message sent now goes to the working run (steering). */
  get steers() {
    return this.steering && this.state.running && !this.state.awaiting;
  }

  get canSend() {
    const { unfinished, awaiting, sending } = this.state;
    const hasText = this.input.value.trim().length > 0;
    const mayNow = !unfinished || this.policy !== "reject" || this.steers;
    return hasText && !sending && !awaiting && mayNow;
  }

  async submit() {
    if (!this.canSend) return;
    const text = this.input.value;
    const steer = this.steers;
    this.input.value = "";
    this.set({ sending: true });
    try {
      if (!(await this.onSend(text, { steer }))) this.input.value = text; // give it back
    } finally {
      this.set({ sending: false });
    }
  }

  async pressStop() {
    const { run } = this.state;
    this.stoppingRun = run;
    this.update();
    if (!(await this.onStop()) && this.stoppingRun === run) {
      this.stoppingRun = null; // nothing was stopped: offer Stop again
      this.update();
    }
  }

  /** Follow an agent as GET /api/agents/ describes it (none: the strictest). */
  setAgent(agent) {
    this.policy = agent?.policy in HINTS ? agent.policy : "reject";
    this.steering = Boolean(agent?.steering);
    this.update();
  }

  set(changes) {
    Object.assign(this.state, changes);
    this.update();
  }

  update() {
    const { running, run, awaiting, unfinished, sending } = this.state;
    // "Stopping…" belongs to one run: once it ends, the next run gets a plain Stop.
    if (this.stoppingRun !== run) this.stoppingRun = null;
    const stopping = running && this.stoppingRun !== null;
    this.stop.hidden = !running;
    this.stop.disabled = stopping;
    this.stopLabel.textContent = stopping ? "Stopping…" : "Stop";
    this.send.disabled = !this.canSend;
    const steers = this.steers;
    this.send.textContent = sending
      ? "Sending…"
      : unfinished && !awaiting && !steers
        ? SEND_LABELS[this.policy]
        : "Send";
    this.hint.textContent = awaiting
      ? AWAITING_HINTS[awaiting]
      : steers
        ? STEER_HINT
        : unfinished
          ? HINTS[this.policy]
          : idleHint();
    this.input.placeholder = steers ? STEER_PLACEHOLDER : this.placeholder;
    this.form.dataset.steering = String(steers);
    this.form.dataset.busy = String(unfinished);
    // Grow with the text, up to the CSS max-height.
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight}px`;
  }

  focus() {
    this.input.focus();
  }
}
