// Jobs: filters and search, newest first, live status from the event stream, "Load more"
// for older ones (cursor pagination).
import { api, teamPath } from "../api.js";
import { h, field, fmtDate, fmtDuration } from "../dom.js";
import { onJobEvent } from "../events.js";

const STATUSES = ["", "pending", "processing", "completed", "partially_done", "failed"];

export async function render(main) {
  const status = h("select", { name: "status" }, STATUSES.map((s) => h("option", { value: s }, s ? s.replace("_", " ") : "Any")));
  const format = h("select", { name: "format" }, h("option", { value: "" }, "Any"), h("option", { value: "markdown" }, "markdown"), h("option", { value: "structured" }, "structured"));
  const search = h("input", { type: "search", name: "search", placeholder: "Part of a file name" });
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const summary = h("p", { class: "muted", "aria-live": "polite" });
  const rows = new Map();
  let cursor = null;

  function row(j) {
    const tr = h("tr", { dataset: { job: j.id } },
      h("td", {}, h("a", { href: `#/jobs/${j.id}` }, j.file_name)),
      h("td", {}, h("span", { class: `badge ${j.status}` }, j.status.replace("_", " "))),
      h("td", { class: "num" }, j.total_pages ? `${j.processed_pages}/${j.total_pages}` : "—"),
      h("td", { class: "num" }, String(j.credits_used ?? 0)),
      h("td", { class: "num" }, j.duration_seconds ? fmtDuration(j.duration_seconds) : "—"),
      h("td", {}, j.result_format),
      h("td", {}, fmtDate(j.created_at)),
    );
    rows.set(j.id, tr);
    return tr;
  }

  async function load(reset) {
    if (reset) { cursor = null; tbody.replaceChildren(); rows.clear(); }
    const q = new URLSearchParams({ limit: "25" });
    if (status.value) q.set("status", status.value);
    if (format.value) q.set("result_format", format.value);
    if (search.value.trim()) q.set("search", search.value.trim());
    if (cursor) q.set("cursor", cursor);
    const r = await api("GET", teamPath(`/jobs?${q}`));
    tbody.append(...r.data.map(row));
    cursor = r.next_cursor;
    more.hidden = !r.has_more;
    summary.textContent = `${r.total_count} job(s)`;
    if (r.total_count === 0) tbody.append(h("tr", {}, h("td", { colspan: 7 }, "No jobs yet. ", h("a", { href: "#/upload" }, "Upload a document"), ".")));
  }

  let timer;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 250); });
  status.addEventListener("change", () => load(true));
  format.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));

  main.append(
    h("div", { class: "actions" }, h("h1", {}, "Jobs"), h("a", { class: "button", href: "#/upload", style: undefined }, "Upload")),
    h("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); load(true); } },
      field("Search", search), field("Status", status), field("Format", format)),
    summary,
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "muted", hidden: true }, "Jobs"),
      h("thead", {}, h("tr", {}, ["File", "Status", "Pages", "Credits", "Duration", "Format", "Created"].map((t, i) => h("th", { scope: "col", class: i >= 2 && i <= 4 ? "num" : undefined }, t)))),
      tbody)),
    h("p", {}, more),
  );
  await load(true);

  // A changed job: redraw its row in place; a new one: reload the first page.
  return onJobEvent((e) => {
    const tr = rows.get(e.id);
    if (e.deleted) return tr?.remove();
    if (!tr) return void load(true);
    tr.children[1].replaceChildren(h("span", { class: `badge ${e.status}` }, e.status.replace("_", " ")));
    tr.children[2].textContent = e.total_pages ? `${e.processed_pages}/${e.total_pages}` : "—";
    tr.children[3].textContent = String(e.credits_used);
  });
}
