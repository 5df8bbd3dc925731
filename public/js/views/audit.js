// The audit log: who did what, when, from where. Filter by action prefix; older entries on demand.
import { api, teamPath } from "../api.js";
import { h, field, fmtDate } from "../dom.js";

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
      h("td", {}, fmtDate(e.created_at)), h("td", {}, h("code", {}, e.action)),
      h("td", {}, `${e.actor.type}${e.actor.id ? ` ${e.actor.id}` : ""}`),
      h("td", {}, e.target ? `${e.target.type} ${e.target.id ?? ""}` : "—"), h("td", {}, e.ip ?? "—"))));
    cursor = r.next_cursor;
    more.hidden = !r.has_more;
  }
  let timer;
  action.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 250); });
  more.addEventListener("click", () => load(false));
  main.append(h("h1", {}, "Audit log"), h("div", { class: "row" }, field("Action starts with", action)),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["When", "Action", "Actor", "Target", "IP"].map((t) => h("th", { scope: "col" }, t)))), tbody)),
    h("p", {}, more));
  await load(true);
}
