// The REST half of the wire contract (PROTOCOL.md section 4), as the page uses it.
// The page signs in with the session cookie, so every unsafe request carries the
// CSRF token Django set in the `csrftoken` cookie.

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    // DRF answers 403 "credentials were not provided" when the sign-in expired.
    this.signedOut = status === 401 || /credentials were not provided/i.test(this.message);
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function request(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // A non-JSON error page: the status text says enough.
    }
    throw new ApiError(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

const session = (id) => `/api/sessions/${encodeURIComponent(id)}/`;

export const listAgents = () => request("GET", "/api/agents/");

/** The chats to list: originals only, as each fork is a version of one. */
export function listSessions(search = "") {
  const query = new URLSearchParams({ page_size: "100", original: "true" });
  if (search) query.set("search", search);
  return request("GET", `/api/sessions/?${query}`);
}

/** The pending approvals the user may see, newest first: one page of up to 100,
 * as many as the sidebar lists sessions. */
export async function pendingApprovals() {
  const { results } = await request("GET", "/api/approvals/?status=pending&page_size=100");
  return results;
}

/** The consent the user kept for later calls ("always for this chat/agent"),
 * newest first: a short list, never paged. */
export const listGrants = () => request("GET", "/api/grants/");
export const revokeGrant = (id) => request("DELETE", `/api/grants/${encodeURIComponent(id)}/`);

export const getSession = (id) => request("GET", session(id));
export const createSession = (agent) => request("POST", "/api/sessions/", { agent });
export const renameSession = (id, title) => request("PATCH", session(id), { title });
export const deleteSession = (id) => request("DELETE", session(id));
export const cancelRun = (id) => request("POST", `${session(id)}cancel/`);

/** The chat's family: {original, sessions} oldest first (PROTOCOL.md section 8). */
export const sessionVersions = (id) => request("GET", `${session(id)}versions/`);

/** Send `text` instead of the message at `seq`, in a new fork: {session, run, seq}. */
export const editMessage = (id, seq, text) => request("POST", `${session(id)}edit/`, { seq, text });

/** Answer a run's message again, in a new fork: {session, run, seq}. */
export const regenerate = (id, run) => request("POST", `${session(id)}regenerate/`, { run });

export function rateAnswer(id, seq, rating, comment = "") {
  return request("PUT", `${session(id)}events/${seq}/feedback/`, { rating, comment });
}

export const unrateAnswer = (id, seq) =>
  request("DELETE", `${session(id)}events/${seq}/feedback/`);

/** The owner's ratings in a session, by answer seq: {seq: {rating, comment}}. */
export async function ratedAnswers(id) {
  const { results } = await request("GET", `${session(id)}feedback/`);
  return new Map(results.map((rated) => [rated.seq, rated]));
}

/** Every stored event after `after`, page by page, in seq order. */
export async function* transcriptPages(id, after = 0) {
  let url = `${session(id)}events/?after=${after}&limit=500`;
  while (url) {
    const page = await request("GET", url);
    yield page.results;
    url = page.next;
  }
}
