// The live half of the wire contract (PROTOCOL.md section 2): one WebSocket per
// open session that reconnects by itself and always resumes from the last seq the
// page has rendered, so a dropped network or a server restart loses nothing.
// Frames the server answers (message, resolve) get their reply back through
// `request`.

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

// Close codes after which trying again cannot help.
const FINAL_CLOSES = {
  4401: "signed-out",
  4403: "forbidden",
  4404: "gone",
};

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  offline: "Offline: waiting for the network",
  forbidden: "Not your chat",
  gone: "This chat no longer exists",
};

/** What the connection badge says in state `name` (see SessionSocket's onState). */
export function connectionText(name, detail) {
  if (name === "retrying") return `Reconnecting in ${Math.ceil(detail.delayMs / 1000)} s…`;
  return CONNECTION_TEXT[name] ?? "";
}

export class SessionSocket {
  /**
   * @param {object} options
   * @param {string} options.url - ws(s) URL of the session, without query
   * @param {() => number} options.cursor - the last seq rendered (the resume point)
   * @param {(frame: object) => void} options.onFrame - every frame from the server
   * @param {(state: string, detail?: object) => void} options.onState - connecting,
   *   live, retrying (with `{delayMs}`), offline, signed-out, forbidden, gone
   */
  constructor({ url, cursor, onFrame, onState }) {
    Object.assign(this, { url, cursor, onFrame, onState });
    this.ws = null;
    this.attempts = 0;
    this.retryTimer = null;
    this.closed = false;
    this.waiting = []; // settle functions of the frames sent and not yet answered
    // Back online: a socket that never dropped is live again, else reconnect.
    this.onOnline = () => (this.isLive ? this.onState("live") : this.retryNow());
    this.onOffline = () => this.onState("offline");
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.connect();
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.onState("connecting");
    // `?after=` makes the server replay what this page missed before going live.
    const ws = new WebSocket(`${this.url}?after=${this.cursor()}`);
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON; ignore anything else
      }
      if (frame.type === "hello") {
        this.attempts = 0;
        this.onState("live");
      }
      const isReply = frame.type === "ack" || frame.type === "rejected";
      if (isReply && this.waiting.length) this.waiting.shift()(frame);
      else this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws || this.closed) return;
      this.ws = null;
      this.dropWaiting();
      const final = FINAL_CLOSES[event.code];
      if (final) {
        this.onState(final);
        return;
      }
      this.scheduleRetry();
    });
  }

  /** Exponential backoff with jitter, so many tabs do not reconnect in step. */
  scheduleRetry() {
    const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.attempts);
    const delayMs = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempts += 1;
    if (!navigator.onLine) {
      this.onState("offline"); // the `online` event retries at once
      return;
    }
    this.onState("retrying", { delayMs });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  retryNow() {
    if (this.closed || this.ws) return;
    this.attempts = 0;
    this.connect();
  }

  get isLive() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Send a frame if connected; false tells the caller to keep it for later. */
  send(frame) {
    if (!this.isLive) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Send a frame the server answers; resolves with its `ack` or `rejected` reply,
   * or null when it could not be sent or the connection dropped before the reply
   * (it may or may not have been taken: the replayed events will say). Replies
   * carry no reference to their frame, but the server handles a socket's frames
   * one at a time, so the oldest unanswered frame owns the next reply.
   */
  request(frame) {
    if (!this.send(frame)) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  dropWaiting() {
    for (const settle of this.waiting.splice(0)) settle(null);
  }

  close() {
    this.closed = true;
    this.dropWaiting();
    clearTimeout(this.retryTimer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.ws?.close(1000);
    this.ws = null;
  }
}
