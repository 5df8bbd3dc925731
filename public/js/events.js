// Live job updates: one EventSource per signed-in tab, shared by every view that listens.
// The server pushes a "job" event whenever a job of the team changes (status, pages done).
import { teamPath } from "./api.js";

let source = null;
const listeners = new Set();

export function onJobEvent(fn) {
  listeners.add(fn);
  if (!source) {
    source = new EventSource(teamPath("/jobs/events"));
    source.addEventListener("job", (e) => {
      const data = JSON.parse(e.data);
      for (const l of listeners) l(data);
    });
  }
  return () => listeners.delete(fn);
}

export function closeEvents() {
  source?.close();
  source = null;
  listeners.clear();
}
