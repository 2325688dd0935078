// Starter prompts: on an empty chat, the agent's `examples` (GET /api/agents/)
// as buttons; pressing one sends it as if it had been typed.

import { el } from "./dom.js";

export class Starters {
  /**
   * @param {HTMLElement} container - the group the buttons go in
   * @param {(text: string) => void} onPick - a prompt was pressed
   */
  constructor(container, onPick) {
    this.container = container;
    container.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-prompt]");
      if (button) onPick(button.dataset.prompt);
    });
  }

  /** Offer `examples` (none hides the group). */
  show(examples = []) {
    const buttons = examples.map((text) => {
      const button = el("button", "starter", text);
      button.type = "button";
      button.dataset.prompt = text;
      return button;
    });
    this.container.replaceChildren(...buttons);
    this.container.hidden = buttons.length === 0;
  }

  hide() {
    this.show([]);
  }
}
