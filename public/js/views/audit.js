// The audit log: who did what, when, from where. Filter by action prefix; older entries on demand.
// People and keys are shown by name (the server resolves them), each with its id beneath, which
// the API's `actor` and `target` filters take.
import { api, teamPath } from "../api.js";
import { h, field, fmtDate } from "../dom.js";

/** "Olivia Owner" over "owner@example.com · usr_…"; just the id when the name is unknown. */
function who(kind, x) {
  if (!x || (!x.id && !x.type)) return "—";
  const label = x.name ?? (x.type === "system" || !x.id ? `${x.type ?? kind}${x.id ? ` ${x.id}` : ""}` : null);
  const type = x.type === "api_key" ? "API key" : x.type;
  return h("div", { class: "who" },
    label ? h("span", {}, label) : h("span", { class: "muted" }, type),
    x.name && x.type !== "user" ? h("span", { class: "muted small" }, ` (${type})`) : null,
    x.id && x.type !== "system" ? h("div", { class: "id small muted" }, x.email ? `${x.email} · ` : "", h("code", {}, x.id)) : null);
}

export async function render(main) {
  const action = h("input", { type: "search", placeholder: "e.g. job. or api_key." });
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Older entries");
  let cursor = null;
  async function load(reset) {
    if (reset) { cursor = null; tbody.replaceChildren(); }
    const q = new URLSearchParams({ limit: "50" });
    if (action.value.trim()) q.set("action", action.value.trim());
    if (cursor) q.set("cursor", cursor);
    const r = await api("GET", teamPath(`/audit-logs?${q}`));
    tbody.append(...r.data.map((e) => h("tr", {},
      h("td", { class: "when" }, h("time", { datetime: e.created_at }, fmtDate(e.created_at))), h("td", {}, h("code", {}, e.action)),
      h("td", {}, who("actor", e.actor)),
      h("td", {}, e.target?.type ? who("target", e.target) : "—"), h("td", { class: "ip" }, e.ip ?? "—"))));
    cursor = r.next_cursor;
    more.hidden = !r.has_more;
  }
  let timer;
  action.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 250); });
  more.addEventListener("click", () => load(false));
  main.append(h("h1", {}, "Audit log"), h("div", { class: "row" }, field("Action starts with", action)),
    h("div", { class: "table-wrap" }, h("table", { class: "audit" }, h("thead", {}, h("tr", {}, ["When", "Action", "Actor", "Target", "IP"].map((t) => h("th", { scope: "col" }, t)))), tbody)),
    h("p", {}, more));
  await load(true);
}
