// The open chat's two dialogs: rename and delete. In rename, Save is the form's
// only submit button, so Enter in the title saves; Cancel and Escape close
// without one (returnValue is cleared on every opening).

import { deleteSession, renameSession } from "./api.js";

const $ = (id) => document.getElementById(id);

/**
 * @param {object} hooks
 * @param {() => object|null} hooks.current - the open session, if any
 * @param {() => Promise<void>} hooks.renamed - the new title is stored
 * @param {() => Promise<void>} hooks.deleted - the open session is gone
 * @param {(error: Error) => void} hooks.report - a request failed
 */
export function sessionDialogs({ current, renamed, deleted, report }) {
  $("rename").addEventListener("click", () => {
    $("rename-input").value = current()?.title ?? "";
    $("rename-dialog").returnValue = "";
    $("rename-dialog").showModal();
  });

  $("rename-cancel").addEventListener("click", () => $("rename-dialog").close("cancel"));

  $("rename-dialog").addEventListener("close", async () => {
    const session = current();
    if ($("rename-dialog").returnValue !== "save" || !session) return;
    try {
      await renameSession(session.id, $("rename-input").value.trim());
      await renamed();
    } catch (error) {
      report(error);
    }
  });

  $("delete").addEventListener("click", () => {
    $("delete-name").textContent = current()?.title || "this chat";
    $("delete-dialog").showModal();
  });

  $("delete-dialog").addEventListener("close", async () => {
    const session = current();
    if ($("delete-dialog").returnValue !== "delete" || !session) return;
    try {
      await deleteSession(session.id);
      await deleted();
    } catch (error) {
      report(error);
    }
  });
}
