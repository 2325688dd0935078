// The message the page sent and the server has not acknowledged yet: shown at
// once as pending, sent over the socket, and sent again with the same client_id
// on the next `hello` if the connection dropped first (the server never takes a
// client_id twice). One at a time: the composer waits for the reply.

import { messageRefusal } from "./rejections.js";

function newClientId() {
  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Outbox {
  /**
   * @param {object} session - the open session's parts
   * @param {() => object|null} session.socket - its SessionSocket, once opened
   * @param {object} session.transcript - its Transcript, for the pending bubble
   * @param {object} hooks
   * @param {() => void} hooks.onAck - the server took the message
   * @param {(text: string) => void} hooks.onRefused - it refused it, in words
   */
  constructor({ socket, transcript }, { onAck, onRefused }) {
    Object.assign(this, { socket, transcript, onAck, onRefused });
    this.waiting = null; // {frame, settle}
  }

  /** Send `text` (to the working run with `steer`); resolves true once taken. */
  send(text, { steer = false } = {}) {
    const frame = { type: "message", text, client_id: newClientId() };
    if (steer) frame.steer = true; // to the working run, at its next step
    const sent = new Promise((resolve) => {
      this.waiting = {
        frame,
        settle: (ok) => {
          this.waiting = null;
          resolve(ok);
        },
      };
    });
    this.transcript.addPending(frame.client_id, text);
    this.transmit(); // if the socket is down, `hello` sends it on reconnect
    return sent;
  }

  /** The socket is (again) live: send what still waits, with the same client_id. */
  resend() {
    if (this.waiting) this.transmit();
  }

  /** The session is closed: what waits was not taken here. */
  drop() {
    this.waiting?.settle(false);
  }

  /** Send the waiting message and settle it by the server's reply; without one
   * (no connection, or it dropped first) it stays for the next `hello`. */
  async transmit() {
    const { waiting } = this;
    const socket = this.socket();
    if (!socket) return; // not opened yet: its first `hello` sends it
    const reply = await socket.request(waiting.frame);
    if (!reply || this.waiting !== waiting) return;
    if (reply.type === "ack") {
      waiting.settle(true);
      this.onAck();
      return;
    }
    this.transcript.dropPending(waiting.frame.client_id);
    waiting.settle(false);
    this.onRefused(messageRefusal(reply));
  }
}
