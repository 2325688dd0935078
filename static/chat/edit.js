// Edit on the user's messages and Regenerate on answers (PROTOCOL.md section 8).
// Neither changes the open session: the server forks it just before the turn and
// sends the message (edited, or again) there, and the page moves to that fork in
// place, where the new run streams. The original stays one ‹ › away.

import { editMessage, regenerate } from "./api.js";
import { el, icon } from "./dom.js";

const BUSY_TITLE = "Wait until the agent has finished";
// As in the composer: on a touch screen Enter adds a line and Save saves.
const TOUCH = window.matchMedia("(pointer: coarse)");

/** Why an edit or a regenerate was refused, in words. */
function refusal(error) {
  if (error.status === 409) return "The agent is still working here. Wait for it to finish, or press Stop.";
  if (error.status === 413) return "That message is too long.";
  if (error.status === 429) return `You are sending messages too fast. ${error.message}`;
  return error.message || String(error);
}

export class TurnControls {
  /**
   * @param {object} options
   * @param {string} options.sessionId - the open session
   * @param {(id: string) => void} options.openVersion - open the new fork in place
   * @param {(text: string) => void} options.announce - a short notice
   */
  constructor({ sessionId, openVersion, announce }) {
    Object.assign(this, { sessionId, openVersion, announce });
    this.buttons = new Set(); // Edit and Regenerate: none works while a run is open
    this.busy = false;
  }

  button(className, iconName, text, label) {
    const button = el("button", `button button-small turn-control ${className}`);
    button.type = "button";
    button.append(icon(iconName), el("span", "", text));
    button.setAttribute("aria-label", label);
    this.buttons.add(button);
    this.updateButton(button);
    return button;
  }

  updateButton(button) {
    button.disabled = this.busy || button.dataset.working === "true";
    button.title = this.busy ? BUSY_TITLE : button.getAttribute("aria-label");
  }

  /** While a run is open the server refuses both (409): say so on the buttons. */
  setBusy(busy) {
    this.busy = busy;
    for (const button of this.buttons) this.updateButton(button);
  }

  /** A message started a turn (see Transcript.turnStarts): offer to edit it. */
  messageAdded(start) {
    const actions = el("div", "message-actions");
    const edit = this.button("edit-button", "pencil", "Edit", "Edit message");
    edit.addEventListener("click", () => this.openEditor(start, edit));
    actions.append(edit);
    start.message.append(actions);
  }

  /** A run ended: offer to answer its message again. */
  turnEnded(turn) {
    if (turn.root.querySelector(".regenerate-button")) return;
    const button = this.button("regenerate-button", "refresh", "Regenerate", "Regenerate answer");
    button.addEventListener("click", () => this.regenerate(turn.runId, button));
    turn.addAction(button);
  }

  async regenerate(runId, button) {
    button.dataset.working = "true";
    this.updateButton(button);
    try {
      const made = await regenerate(this.sessionId, runId);
      this.openVersion(made.session);
    } catch (error) {
      this.announce(`Could not regenerate: ${refusal(error)}`);
    } finally {
      button.dataset.working = "false";
      this.updateButton(button);
    }
  }

  /** The message's bubble gives way to a box with its text, Save and Cancel. */
  openEditor({ seq, text, message }, editButton) {
    if (message.querySelector(".message-editor")) return;
    const bubble = message.querySelector(".bubble-user");
    const actions = message.querySelector(".message-actions");
    const form = el("form", "message-editor");
    form.setAttribute("aria-label", "Edit message");
    const input = el("textarea", "message-editor-input");
    input.value = text;
    input.rows = Math.min(8, Math.max(2, text.split("\n").length));
    input.setAttribute("aria-label", "Edited message");
    const problem = el("p", "message-editor-problem");
    problem.setAttribute("role", "alert");
    problem.hidden = true;
    const hint = el("p", "message-editor-hint", "Saving sends it as a new version; this one stays.");
    const cancel = el("button", "button button-small", "Cancel");
    cancel.type = "button";
    const save = el("button", "button button-small button-primary", "Save");
    save.type = "submit";
    const buttons = el("div", "message-editor-actions");
    buttons.append(cancel, save);
    form.append(input, problem, hint, buttons);

    const close = () => {
      form.remove();
      bubble.hidden = false;
      actions.hidden = false;
      editButton.focus();
    };
    const refresh = () => {
      save.disabled = input.value.trim() === "" || form.dataset.saving === "true";
    };
    const submit = async () => {
      if (save.disabled) return;
      form.dataset.saving = "true";
      save.textContent = "Saving…";
      refresh();
      try {
        const made = await editMessage(this.sessionId, seq, input.value);
        this.openVersion(made.session);
      } catch (error) {
        problem.textContent = `Not saved: ${refusal(error)}`;
        problem.hidden = false;
        form.dataset.saving = "false";
        save.textContent = "Save";
        refresh();
      }
    };
    input.addEventListener("input", refresh);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !TOUCH.matches) {
        event.preventDefault();
        submit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); // an Escape here closes the editor, nothing else
        close();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    cancel.addEventListener("click", close);

    bubble.hidden = true;
    actions.hidden = true;
    bubble.after(form);
    refresh();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }
}
