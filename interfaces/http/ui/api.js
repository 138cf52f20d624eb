// The management API, called with the token kept in this tab's sessionStorage (nowhere else).

const KEY = "pipeflow.token";
let onUnauthorized = () => {};

/** The stored token, or null before sign-in. */
export function getToken() {
  return sessionStorage.getItem(KEY);
}

/** Keep the token for this browser session. */
export function setToken(token) {
  sessionStorage.setItem(KEY, token);
}

/** Forget the token. */
export function clearToken() {
  sessionStorage.removeItem(KEY);
}

/** What to do when the server answers 401 (ask for the token again). */
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

/** An error answer: its HTTP status and the API's error body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === "object" && body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }

  /** The `problems` of a 422 answer: [{where, message}]. */
  get problems() {
    return (this.body && Array.isArray(this.body.problems)) ? this.body.problems : [];
  }
}

function headers(extra) {
  const out = { Accept: "application/json", ...extra };
  const token = getToken();
  if (token) out.Authorization = `Bearer ${token}`;
  return out;
}

/** Send a request; answers {status, data, etag} or throws ApiError. */
export async function request(method, path, { body, ifMatch, signal } = {}) {
  const extra = {};
  if (body !== undefined) extra["Content-Type"] = "application/json";
  if (ifMatch !== undefined) extra["If-Match"] = `"${ifMatch}"`;
  const response = await fetch(path, {
    method,
    headers: headers(extra),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (response.status === 401) {
    onUnauthorized();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data, etag: response.headers.get("ETag") };
}

/** Read at most `limit` lines of an NDJSON stream (`GET /tap`), giving up after `ms`. */
export async function streamLines(path, limit, ms) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  const lines = [];
  try {
    const response = await fetch(path, { headers: headers({}), signal: abort.signal });
    if (!response.ok) throw new ApiError(response.status, await response.json());
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    while (lines.length < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const parts = buffered.split("\n");
      buffered = parts.pop();
      lines.push(...parts.filter((p) => p.trim()).map((p) => JSON.parse(p)));
    }
    abort.abort();
  } catch (err) {
    if (err.name !== "AbortError") throw err;
  } finally {
    clearTimeout(timer);
  }
  return lines.slice(0, limit);
}
