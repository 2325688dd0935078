// The "Allowed tools" dialog: the consent kept with "Always for this chat" or
// "Always for this agent" on an approval card (GET /api/grants/), one row per
// grant, each with Revoke (DELETE /api/grants/<id>/) so that the tool's next
// call asks again. Grants belong to the user, not to the open chat, so the
// dialog opens from the sidebar and lists them all, fetched at every opening
// (another tab may have added or revoked some meanwhile).

import { ApiError, listGrants, revokeGrant } from "./api.js";
import { el } from "./dom.js";
import { timeAgo } from "./sidebar.js";

const $ = (id) => document.getElementById(id);

/** Where a grant holds, as the end of a sentence. */
function scopeText(grant) {
  if (grant.scope === "session") return `in the chat “${grant.session_title || "New chat"}”`;
  return `in all your chats with ${grant.agent}`;
}

export class GrantsDialog {
  /** @param {(error: Error) => void} report - a failure the page handles
   * (a sign-in that expired); others are said in the dialog */
  constructor(report) {
    this.report = report;
    this.dialog = $("grants-dialog");
    this.list = $("grants-list");
    this.empty = $("grants-empty");
    this.status = $("grants-status");
    this.problem = $("grants-problem");
    this.close = $("grants-close");
    this.opening = 0; // bumps on every opening, so a slow list cannot land in a later one
    $("grants-open").addEventListener("click", () => this.open());
  }

  async open() {
    this.opening += 1;
    const opening = this.opening;
    this.list.replaceChildren();
    this.empty.hidden = true;
    this.say(null);
    this.status.textContent = "Loading…";
    this.dialog.showModal();
    let grants;
    try {
      grants = await listGrants();
    } catch (error) {
      if (opening !== this.opening) return;
      this.status.textContent = "";
      this.fail(error, "The allowed tools could not be loaded");
      return;
    }
    if (opening !== this.opening) return;
    this.status.textContent = "";
    this.list.replaceChildren(...grants.map((grant) => this.row(grant)));
    this.showEmpty();
  }

  row(grant) {
    const item = el("li", "grant");
    item.dataset.grant = grant.id;
    const what = el("div", "grant-what");
    const when = el("time", "", timeAgo(grant.created_at));
    when.dateTime = grant.created_at;
    when.title = new Date(grant.created_at).toLocaleString();
    const allowed = el("span", "grant-when", "allowed ");
    allowed.append(when);
    what.append(
      el("code", "grant-tool", grant.tool),
      el("span", "grant-scope", scopeText(grant)),
      allowed,
    );
    const revoke = el("button", "button button-small", "Revoke");
    revoke.type = "button";
    revoke.setAttribute("aria-label", `Revoke ${grant.tool} ${scopeText(grant)}`);
    revoke.addEventListener("click", () => this.revoke(grant, item, revoke));
    item.append(what, revoke);
    return item;
  }

  async revoke(grant, item, button) {
    if (button.getAttribute("aria-disabled") === "true") return; // on its way
    button.setAttribute("aria-disabled", "true");
    this.say(null);
    try {
      await revokeGrant(grant.id);
    } catch (error) {
      // Gone already (revoked in another tab): the row goes all the same.
      if (error.status !== 404) {
        button.removeAttribute("aria-disabled");
        this.fail(error, "Not revoked");
        return;
      }
    }
    // Focus stays in the list: on the next row's button, else the one before,
    // else Close; never on the body with the pressed button gone.
    const next = item.nextElementSibling ?? item.previousElementSibling;
    item.remove();
    this.status.textContent = `Revoked: ${grant.tool} asks again ${scopeText(grant)}.`;
    this.showEmpty();
    (next?.querySelector("button") ?? this.close).focus();
  }

  showEmpty() {
    this.empty.hidden = this.list.childElementCount > 0;
  }

  fail(error, what) {
    if (error instanceof ApiError && error.signedOut) {
      this.report(error);
      return;
    }
    this.say(`${what}: ${error.message || error}. Try again.`);
  }

  say(problem) {
    this.problem.textContent = problem ?? "";
    this.problem.hidden = !problem;
  }
}
