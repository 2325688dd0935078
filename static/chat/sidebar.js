// The sidebar: the user's chats, newest activity first, searchable, with
// their agent, when they were last active, and whether a tool call in them
// waits for approval (the open chat shows that on its card instead). Only
// originals are listed: a fork (an edit, a regenerate) is a version of its chat,
// reached with ‹ › inside it, and the chat's entry stays marked meanwhile.

import { listSessions, pendingApprovals } from "./api.js";
import { el } from "./dom.js";

const SEARCH_DELAY_MS = 250;
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Infinity, "year"],
];

export function timeAgo(iso) {
  let amount = (new Date(iso) - Date.now()) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(amount) < size) {
      return unit === "second" ? "just now" : relative.format(Math.round(amount), unit);
    }
    amount /= size;
  }
  return "";
}

export class Sidebar {
  /**
   * @param {object} parts - list, search input, empty-state paragraph
   * @param {(id: string) => void} onSelect - a session was picked
   */
  constructor({ list, search, empty }, onSelect) {
    Object.assign(this, { list, search, empty, onSelect });
    this.currentId = null;
    this.sessions = [];
    this.awaiting = new Map(); // session id -> how many of its calls wait for approval
    this.searchTimer = null;
    search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.refresh(), SEARCH_DELAY_MS);
    });
    list.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-session]");
      if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault(); // the page switches sessions without a reload
      this.onSelect(link.dataset.session);
    });
  }

  async refresh() {
    const query = this.search.value.trim();
    // Without the approvals the list is still worth showing, with the counts it had.
    const [page, approvals] = await Promise.all([
      listSessions(query),
      pendingApprovals().catch(() => null),
    ]);
    if (query !== this.search.value.trim()) return; // a newer search is on its way
    this.sessions = page.results;
    if (approvals) {
      this.awaiting = new Map();
      for (const { session } of approvals) {
        this.awaiting.set(session, (this.awaiting.get(session) ?? 0) + 1);
      }
    }
    this.draw();
  }

  find(id) {
    return this.sessions.find((session) => session.id === id);
  }

  select(id) {
    this.currentId = id;
    for (const link of this.list.querySelectorAll("a[data-session]")) {
      if (link.dataset.session === id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  draw() {
    const items = this.sessions.map((session) => {
      const link = el("a", "session-link");
      link.href = `?session=${encodeURIComponent(session.id)}`;
      link.dataset.session = session.id;
      if (session.id === this.currentId) link.setAttribute("aria-current", "page");
      const when = el("time", "", timeAgo(session.last_activity));
      when.dateTime = session.last_activity;
      when.title = new Date(session.last_activity).toLocaleString();
      const meta = el("span", "session-meta");
      meta.append(el("span", "session-agent", session.agent), when);
      const awaiting = this.awaiting.get(session.id);
      if (awaiting) {
        const text = awaiting === 1 ? "awaiting approval" : `${awaiting} awaiting approval`;
        meta.append(el("span", "session-approval", text));
      } else if (session.active_run) {
        meta.append(el("span", "session-live", "live"));
      }
      link.append(el("span", "session-title", session.title || "New chat"), meta);
      const item = el("li");
      item.append(link);
      return item;
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0;
    this.empty.textContent = this.search.value.trim()
      ? "No chats match your search."
      : "No chats yet. Ask something to start one.";
  }
}
