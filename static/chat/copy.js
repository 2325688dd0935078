// The copy button under each finished answer: puts the answer's text (as the
// agent wrote it, Markdown included, which pastes well into chats and editors)
// on the clipboard and says "Copied" for a moment.

import { el, icon } from "./dom.js";

const CONFIRM_MS = 2000;

async function writeClipboard(text) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Without a secure context (plain http on a LAN address) there is no
  // clipboard API; a selected, off-screen textarea and the copy command still work.
  const area = el("textarea", "visually-hidden");
  area.value = text;
  area.setAttribute("readonly", "");
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("the browser did not allow it");
}

/** A button that copies `text` and says on itself whether that worked. */
export function copyButton(text) {
  const button = el("button", "button button-small copy-button");
  button.type = "button";
  button.title = "Copy the answer";
  const label = el("span", "", "Copy");
  label.setAttribute("aria-live", "polite");
  const show = (name, words) => {
    button.replaceChildren(icon(name), label);
    label.textContent = words;
    button.dataset.copied = String(name === "check");
  };
  show("copy", "Copy");
  let timer = null;
  button.addEventListener("click", async () => {
    clearTimeout(timer);
    try {
      await writeClipboard(text);
      show("check", "Copied");
    } catch (error) {
      show("copy", "Could not copy");
      button.title = `Could not copy: ${error.message}`;
    }
    timer = setTimeout(() => {
      show("copy", "Copy");
      button.title = "Copy the answer";
    }, CONFIRM_MS);
  });
  return button;
}
