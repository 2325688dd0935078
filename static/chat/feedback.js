// Thumbs up or down on an answer, with an optional comment, stored through the
// API. Pressing the chosen thumb again takes the rating back.

import { rateAnswer, unrateAnswer } from "./api.js";
import { el, icon } from "./dom.js";

const CHOICES = [
  { rating: 1, name: "thumb-up", label: "Good answer" },
  { rating: -1, name: "thumb-down", label: "Bad answer" },
];

/**
 * Feedback controls for the answer stored at `seq` in session `sessionId`,
 * showing `given` (the rating stored earlier, if any).
 */
export function feedbackControls(sessionId, seq, announce, given = null) {
  const box = el("div", "feedback");
  const buttons = CHOICES.map(({ rating, name, label }) => {
    const button = el("button", "icon-button feedback-button");
    button.append(icon(name));
    button.type = "button";
    button.dataset.rating = rating;
    button.setAttribute("aria-label", label);
    button.setAttribute("aria-pressed", "false");
    button.title = label;
    return button;
  });
  const form = el("form", "feedback-comment");
  form.hidden = true;
  const input = el("input");
  input.type = "text";
  input.maxLength = 2000;
  input.placeholder = "What was good or bad? (optional)";
  input.setAttribute("aria-label", "Comment on this answer");
  const save = el("button", "button button-small", "Save");
  save.type = "submit";
  form.append(input, save);
  box.append(...buttons, form);

  let current = 0;
  const show = (rating) => {
    current = rating;
    for (const button of buttons) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.rating) === rating));
    }
    form.hidden = rating === 0;
  };

  for (const button of buttons) {
    button.addEventListener("click", async () => {
      const rating = Number(button.dataset.rating);
      const previous = current;
      show(rating === current ? 0 : rating);
      try {
        if (current === 0) {
          await unrateAnswer(sessionId, seq);
          announce("Rating removed.");
        } else {
          await rateAnswer(sessionId, seq, current, input.value);
          announce("Thanks for the rating.");
          input.focus();
        }
      } catch (error) {
        show(previous);
        announce(`Could not save the rating: ${error.message}`);
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await rateAnswer(sessionId, seq, current, input.value);
      announce("Comment saved.");
      form.hidden = true;
    } catch (error) {
      announce(`Could not save the comment: ${error.message}`);
    }
  });
  if (given) {
    input.value = given.comment || "";
    show(given.rating);
    form.hidden = true; // a rating from before: no comment box until asked for
  }
  return box;
}
