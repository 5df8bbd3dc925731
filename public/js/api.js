// The one fetch wrapper: same-origin only, sends the session's CSRF token on every
// state-changing request, and turns the LeapOCR error body {code, error: {message}} into an
// Error whose message is shown to the user as is.

export const session = { csrf: "", user: null, teams: [], team: null };

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const FRIENDLY = {
  401: "Your session has ended. Sign in again.",
  403: "Your role does not allow this.",
  429: "Too many requests. Wait a moment and try again.",
};

export async function errorFrom(res) {
  let body = null;
  try { body = await res.json(); } catch {}
  const message = body?.error?.message ?? FRIENDLY[res.status] ?? `The server answered ${res.status}.`;
  return new ApiError(res.status, body?.code ?? "HTTP_" + res.status, message, body?.details);
}

/** Called when any request answers 401: the app sends the user to the sign-in page. */
export let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["x-csrf-token"] = session.csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached. Check your connection and try again.");
  }
  if (!res.ok && res.status !== 202) {
    const err = await errorFrom(res);
    // A 401 ends the session in the page only if the session itself is gone (not when one
    // route happens to want an API key).
    if (res.status === 401 && !path.startsWith("/api/v1/auth/login")) {
      const still = await fetch("/api/v1/auth/verify", { credentials: "same-origin" }).then((r) => r.ok, () => true);
      if (!still) onUnauthorized();
    }
    throw err;
  }
  return res.status === 204 ? null : res.json();
}

/** /api/v1/organizations/<org>/teams/<team><path> for the current team. */
export function teamPath(path = "") {
  const t = session.team;
  // A user removed from their last team still has a session: say so instead of a TypeError.
  if (!t) throw new ApiError(403, "NO_TEAM", "You are not a member of any team. Ask an owner or admin of a team to add you.");
  return `/api/v1/organizations/${encodeURIComponent(t.organization_id)}/teams/${encodeURIComponent(t.id)}${path}`;
}

/** Role checks mirror the server's (the server decides; this only hides buttons that would fail). */
export const canWrite = () => ["owner", "admin", "member"].includes(session.team?.role);
export const isAdmin = () => ["owner", "admin"].includes(session.team?.role);

/** PUT a file part with upload progress (fetch cannot report upload progress; XHR can). */
export function putWithProgress(url, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.getResponseHeader("etag") ?? "");
      let message = `The upload failed (${xhr.status}).`;
      try { message = JSON.parse(xhr.responseText).error.message; } catch {}
      reject(new ApiError(xhr.status, "UPLOAD", message));
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "The upload was interrupted. Try again."));
    xhr.send(blob);
  });
}
