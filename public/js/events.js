// Live job updates: one EventSource per signed-in tab, shared by every view that listens.
// The server pushes a "job" event whenever a job of the team changes (status, pages done), and
// an "end" event when the session or the access to the team has ended; then the stream is closed
// here (not reopened) and the app is told, so it can check the session and the teams.
import { teamPath } from "./api.js";

let source = null;
const listeners = new Set();
let onEnded = () => {};

/** Called when the server ends the stream (logout elsewhere, removal from the team, expiry). */
export function setStreamEndedHandler(fn) { onEnded = fn; }

export function onJobEvent(fn) {
  listeners.add(fn);
  if (!source) {
    source = new EventSource(teamPath("/jobs/events"));
    source.addEventListener("job", (e) => {
      const data = JSON.parse(e.data);
      for (const l of listeners) l(data);
    });
    source.addEventListener("end", () => {
      closeEvents();
      onEnded();
    });
  }
  return () => listeners.delete(fn);
}

export function closeEvents() {
  source?.close();
  source = null;
  listeners.clear();
}
