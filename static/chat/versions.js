// Versions of a turn (PROTOCOL.md section 8): an edit or a regenerate forks the
// chat just before a turn, so one turn may be shown by several sessions of the
// chat's family. The page draws "2 / 3" with ‹ › on such a turn and moves between
// those sessions in place. Everything comes from GET versions/ (reload-safe);
// a `versions` frame on the socket says a fork was made in any tab, and the
// counters are drawn again.
//
// `b` is a turn's boundary: the seq just before its user_message. A session
// shows the turn after `b` as its own when it was not forked past `b`.

import { sessionVersions } from "./api.js";
import { el } from "./dom.js";

const STORAGE_PREFIX = "agentsite.chat-version.";
// A fork is announced before the message sent in it is stored (an edit forks,
// then sends), so a fetch right after the frame may see it empty: fetch again.
const EMPTY_FORK_RETRIES_MS = [150, 300, 600, 1200, 2400];

// Times compare as instants: ISO texts with and without microseconds do not sort.
const time = (iso) => Date.parse(iso) || 0;
const byCreated = (a, b) => time(a.created_at) - time(b.created_at) || (a.id < b.id ? -1 : 1);

/** A chat's family as GET versions/ lists it, and the walks over its forks. */
export class Family {
  constructor({ original, sessions }) {
    this.original = original;
    this.sessions = sessions;
    this.byId = new Map(sessions.map((session) => [session.id, session]));
  }

  /** A parent the list no longer has (deleted) counts as no parent. */
  parent(session) {
    return (session.parent && this.byId.get(session.parent)) || null;
  }

  climb(session, goOn) {
    let parent;
    while (goOn(session) && (parent = this.parent(session))) session = parent;
    return session;
  }

  /** The session whose own events hold the turn after `b` that `session` shows. */
  owner(session, b) {
    return this.climb(session, (s) => s.forked_at != null && s.forked_at > b);
  }

  /** The session whose own events hold `session`'s transcript up to `b`. */
  prefix(session, b) {
    return this.climb(session, (s) => s.forked_at != null && s.forked_at >= b);
  }

  /** The chat the sidebar lists for `session`: the first with no parent. */
  root(session) {
    return this.climb(session, () => true);
  }

  /** The versions of the turn after `b` as `current` sees them, oldest first,
   * and which of them `current` shows. */
  versionsAt(current, b) {
    const base = this.prefix(current, b).id;
    const owners = new Map();
    for (const session of this.sessions) {
      if (session.event_count > b && this.prefix(session, b).id === base) {
        const owner = this.owner(session, b);
        owners.set(owner.id, owner);
      }
    }
    // The open session shows the turn, whatever its listed event_count says yet.
    const mine = this.owner(current, b);
    owners.set(mine.id, mine);
    const list = [...owners.values()].sort(byCreated);
    return { list, index: list.indexOf(mine) };
  }

  /** Where to go for `version` of the turn after `b`: the most recently active
   * session that shows it, so a person returns to where they carried on. */
  latestShowing(version, b) {
    let latest = version;
    for (const session of this.sessions) {
      if (this.owner(session, b).id === version.id && time(session.last_activity) > time(latest.last_activity)) {
        latest = session;
      }
    }
    return latest;
  }
}

/** The version last viewed of the chat listed as `rootId`, if remembered. */
export function rememberedVersion(rootId) {
  try {
    return localStorage.getItem(STORAGE_PREFIX + rootId);
  } catch {
    return null; // storage switched off: open the chat itself
  }
}

export function forgetVersion(rootId) {
  try {
    localStorage.removeItem(STORAGE_PREFIX + rootId);
  } catch {
    // nothing to forget without storage
  }
}

function rememberVersion(rootId, sessionId) {
  try {
    if (rootId === sessionId) localStorage.removeItem(STORAGE_PREFIX + rootId);
    else localStorage.setItem(STORAGE_PREFIX + rootId, sessionId);
  } catch {
    // without storage the chat list opens the chat itself: still correct
  }
}

/** "‹ 2 / 3 ›" for one turn; `move(step)` goes to the previous (-1) or next (+1). */
function pager(index, count, move) {
  const box = el("div", "versions");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Versions of this turn");
  const button = (text, label, step) => {
    const node = el("button", "icon-button versions-button", text);
    node.type = "button";
    node.dataset.step = String(step);
    node.setAttribute("aria-label", label);
    node.title = label;
    node.disabled = index + step < 0 || index + step >= count;
    node.addEventListener("click", () => move(step));
    return node;
  };
  const counter = el("span", "versions-count", `${index + 1} / ${count}`);
  counter.title = `Version ${index + 1} of ${count}`;
  box.append(button("‹", "Previous version", -1), counter, button("›", "Next version", 1));
  return box;
}

/** The versions of the open session's turns: fetched, drawn, followed live. */
export class Versions {
  /**
   * @param {object} options
   * @param {object} options.session - the open session, as the API describes it
   * @param {object} options.transcript - its Transcript (turnStarts, turnAt)
   * @param {(id: string, place: object) => void} options.open - open another
   *   session of the family in place; `place` is {at, step} for the pager to focus
   * @param {(rootId: string) => void} options.onRoot - the chat listed for it
   */
  constructor({ session, transcript, open, onRoot }) {
    Object.assign(this, { session, transcript, open, onRoot });
    this.family = null;
    this.drawn = new Map(); // boundary -> "index/count" shown on that turn
    this.fetching = 0;
    this.retry = null;
    this.closed = false;
  }

  /** The chat listed for a session of this family, if the family is known. */
  rootOf(id) {
    const session = this.family?.byId.get(id);
    return session ? this.family.root(session).id : null;
  }

  /** Fetch the family and draw every turn; `announced` is a fork a `versions`
   * frame named, fetched again for a while if it is still empty. */
  async refresh(announced = null, attempt = 0) {
    clearTimeout(this.retry);
    const fetching = ++this.fetching;
    let family;
    try {
      family = new Family(await sessionVersions(this.session.id));
    } catch {
      return; // the counters keep what they showed; the next frame tries again
    }
    if (this.closed || fetching !== this.fetching) return;
    this.family = family;
    const root = this.rootOf(this.session.id) ?? this.session.id;
    rememberVersion(root, this.session.id);
    this.onRoot(root);
    this.draw();
    const fork = announced && family.byId.get(announced);
    const empty = announced && (!fork || fork.event_count <= (fork.forked_at ?? 0));
    if (empty && attempt < EMPTY_FORK_RETRIES_MS.length) {
      this.retry = setTimeout(
        () => this.refresh(announced, attempt + 1),
        EMPTY_FORK_RETRIES_MS[attempt],
      );
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
  }

  /** Draw the counters of every turn (a turn added live gets its own). */
  draw() {
    if (!this.family) return;
    const current = this.family.byId.get(this.session.id) ?? this.session;
    for (const start of this.transcript.turnStarts) {
      const { list, index } = this.family.versionsAt(current, start.boundary);
      const shown = list.length > 1 ? `${index}/${list.length}` : "";
      if (this.drawn.get(start.boundary) === shown) continue; // keep focus where it is
      this.drawn.set(start.boundary, shown);
      const move = (step) => this.move(start.boundary, list[index + step], step);
      start.turn.setVersions(shown ? pager(index, list.length, move) : null);
    }
  }

  move(boundary, version, step) {
    if (!version) return;
    const target = this.family.latestShowing(version, boundary);
    this.open(target.id, { at: boundary, step });
  }

  /** After moving in place: put the keyboard back on the same pager button. */
  focusPager({ at, step }) {
    const start = this.transcript.turnStarts.find((s) => s.boundary === at);
    const box = start?.turn.versionsNode;
    if (!box) return false;
    const same = box.querySelector(`[data-step="${step}"]`);
    const other = box.querySelector(`[data-step="${-step}"]`);
    (same && !same.disabled ? same : other)?.focus();
    return true;
  }
}
