// What a refused frame means, in words a person reads. The server's own message
// is for developers, so it is shown only where it says something a person can
// act on: when to try again, or what is wrong with edited arguments.

const MESSAGE_TEXT = {
  run_in_progress:
    "This chat is still answering, perhaps in another tab. Wait for it to finish, or press Stop.",
  approval_pending: "Decide the pending approval first, or press Stop.",
  rate_limited: "You are sending messages too fast.",
  bad_request: "That message could not be sent.",
  not_found: "This chat no longer exists.",
};

const DECISION_TEXT = {
  already_resolved: "This was decided already, perhaps in another tab.",
  forbidden: "Only staff may decide this call.",
  not_found: "This approval no longer exists.",
};

/** A refused message (or any refusal that arrives without a frame waiting for it). */
export function messageRefusal({ code, message }) {
  const text = MESSAGE_TEXT[code];
  if (!text) return message;
  // The rate limit's message says when to try again: keep that part.
  return code === "rate_limited" && message ? `${text} ${message}` : text;
}

/** A refused decision on an approval; it stays pending and can be tried again. */
export function decisionRefusal({ code, message }) {
  // bad_request names the schema problem of edited arguments: the fix is in it.
  if (code === "bad_request") return `Not accepted: ${message}`;
  return DECISION_TEXT[code] ?? message;
}
