// Jobs: filters and search, newest first, live status from the event stream, "Load more"
// for older ones (cursor pagination). Each row says why a job failed and carries its actions
// (open, download, retry failed pages, delete with confirmation); rows can be selected and
// deleted together. Every action is a native link, button or checkbox, so the keyboard alone
// drives the page.
import { api, teamPath, canWrite } from "../api.js";
import { h, field, fmtDate, fmtDuration, confirmDialog, download, toast } from "../dom.js";
import { onJobEvent } from "../events.js";

const STATUSES = ["", "pending", "processing", "completed", "partially_done", "failed"];
const COLUMNS = ["File", "Status", "Pages", "Credits", "Duration", "Format", "Created"];

const finished = (j) => j.stage === "done";
/** Something was read: there is a result to download. */
const hasResult = (j) => finished(j) && j.status !== "failed" && j.processed_pages > (j.failed_pages ?? 0);
/** A failed job, or a finished one with failed pages; the server has the last word (409 if its file is gone). */
const retryable = (j) => finished(j) && (j.status === "failed" || (j.failed_pages ?? 0) > 0);

/** The job's text as one file: markdown pages joined, or the structured object. */
async function downloadResult(j) {
  const r = await api("GET", teamPath(`/jobs/${j.id}/result?limit=1000`));
  const base = j.file_name.replace(/\.[^.]+$/, "") || "result";
  if (j.result_format === "markdown") {
    const text = r.pages.filter((p) => typeof p.result === "string").map((p) => p.result).join("\n\n---\n\n");
    return download(`${base}.md`, text, "text/markdown");
  }
  download(`${base}.json`, JSON.stringify(r.structured_result ?? r, null, 2), "application/json");
}

export async function render(main) {
  const status = h("select", { name: "status" }, STATUSES.map((s) => h("option", { value: s }, s ? s.replace("_", " ") : "Any")));
  const format = h("select", { name: "format" }, h("option", { value: "" }, "Any"), h("option", { value: "markdown" }, "markdown"), h("option", { value: "structured" }, "structured"));
  const search = h("input", { type: "search", name: "search", placeholder: "Part of a file name" });
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const summary = h("p", { class: "muted", "aria-live": "polite" });
  const writer = canWrite();
  /** id -> { job, tr, box } of the rows shown. */
  const rows = new Map();
  const selected = new Set();
  let cursor = null;

  const selectAll = h("input", { type: "checkbox", id: "select-all" });
  const selCount = h("span", { class: "muted", "aria-live": "polite" });
  const bulkDelete = h("button", { type: "button", class: "danger", disabled: true }, "Delete selected");
  const bulk = h("div", { class: "actions bulk" }, h("label", { class: "check", for: "select-all" }, selectAll, "Select all shown"), selCount, bulkDelete);

  function syncSelection() {
    for (const id of selected) if (!rows.has(id)) selected.delete(id);
    const n = selected.size;
    selCount.textContent = n ? `${n} selected` : "";
    bulkDelete.disabled = n === 0;
    bulkDelete.textContent = n ? `Delete ${n} selected` : "Delete selected";
    selectAll.checked = n > 0 && n === rows.size;
    selectAll.indeterminate = n > 0 && n < rows.size;
  }

  async function removeJobs(jobs) {
    const failed = [];
    for (const j of jobs) {
      try { await api("DELETE", teamPath(`/jobs/${j.id}`)); } catch (err) { failed.push(`${j.file_name}: ${err.message}`); }
    }
    const done = jobs.length - failed.length;
    toast(failed.length ? `${done} deleted; not deleted: ${failed.join("; ")}` : done === 1 ? "Job deleted." : `${done} jobs deleted.`);
    await load(true);
  }

  async function retry(j) {
    try {
      const r = await api("POST", teamPath(`/jobs/${j.id}/retry`), { pages: "failed" });
      toast(r.message);
    } catch (err) { toast(err.message); }
  }

  function actionsOf(j) {
    const name = j.file_name;
    const cell = h("div", { class: "row-actions" }, h("a", { class: "button secondary small", href: `#/jobs/${j.id}`, "aria-label": `Open ${name}` }, "Open"));
    if (hasResult(j)) {
      cell.append(h("button", { type: "button", class: "secondary small", "aria-label": `Download ${name}`, onclick: () => downloadResult(j).catch((err) => toast(err.message)) }, "Download"));
    }
    if (writer && retryable(j)) {
      const label = j.status === "failed" ? "Retry" : "Retry failed pages";
      cell.append(h("button", { type: "button", class: "secondary small", "aria-label": `${label} of ${name}`, onclick: () => retry(j) }, label));
    }
    if (writer) {
      cell.append(h("button", { type: "button", class: "secondary small", "aria-label": `Delete ${name}`, onclick: async () => {
        if (!(await confirmDialog("Delete this job?", `The file "${name}", its page images and its results are deleted at once. This cannot be undone.`))) return;
        await removeJobs([j]);
      } }, "Delete"));
    }
    return cell;
  }

  /** The row of a job; drawn again in place when the job changes. */
  function row(j) {
    const box = writer ? h("input", { type: "checkbox", "aria-label": `Select ${j.file_name}`, checked: selected.has(j.id), onchange: (e) => {
      if (e.target.checked) selected.add(j.id); else selected.delete(j.id);
      syncSelection();
    } }) : null;
    const failedPages = j.failed_pages ?? 0;
    const reason = j.error_message && (j.status === "failed" || failedPages > 0) ? h("p", { class: "reason" }, j.error_message) : null;
    const tr = h("tr", { dataset: { job: j.id, status: j.status } },
      writer ? h("td", { class: "select" }, box) : null,
      h("td", { class: "file" }, h("a", { href: `#/jobs/${j.id}` }, j.file_name), reason),
      h("td", {}, h("span", { class: `badge ${j.status}` }, j.status.replace("_", " "))),
      h("td", { class: "num" }, j.total_pages ? `${j.processed_pages}/${j.total_pages}${failedPages ? ` (${failedPages} failed)` : ""}` : "—"),
      h("td", { class: "num" }, String(j.credits_used ?? 0)),
      h("td", { class: "num" }, j.duration_seconds ? fmtDuration(j.duration_seconds) : "—"),
      h("td", {}, j.result_format),
      h("td", {}, fmtDate(j.created_at)),
      h("td", { class: "actions-cell" }, actionsOf(j)),
    );
    const old = rows.get(j.id)?.tr;
    rows.set(j.id, { job: j, tr });
    if (old) old.replaceWith(tr);
    return tr;
  }

  async function load(reset) {
    const q = new URLSearchParams({ limit: "25" });
    if (status.value) q.set("status", status.value);
    if (format.value) q.set("result_format", format.value);
    if (search.value.trim()) q.set("search", search.value.trim());
    if (!reset && cursor) q.set("cursor", cursor);
    const r = await api("GET", teamPath(`/jobs?${q}`));
    if (reset) { tbody.replaceChildren(); rows.clear(); }
    tbody.append(...r.data.map(row));
    cursor = r.next_cursor;
    more.hidden = !r.has_more;
    summary.textContent = `${r.total_count} job(s)`;
    bulk.hidden = !writer || rows.size === 0;
    if (r.total_count === 0) tbody.append(h("tr", {}, h("td", { colspan: COLUMNS.length + (writer ? 2 : 1) }, "No jobs yet. ", h("a", { href: "#/upload" }, "Upload a document"), ".")));
    syncSelection();
  }

  selectAll.addEventListener("change", () => {
    for (const [id, { tr }] of rows) {
      if (selectAll.checked) selected.add(id); else selected.delete(id);
      const box = tr.querySelector("td.select input");
      if (box) box.checked = selectAll.checked;
    }
    syncSelection();
  });
  bulkDelete.addEventListener("click", async () => {
    const jobs = [...selected].map((id) => rows.get(id)?.job).filter(Boolean);
    if (!jobs.length) return;
    const names = jobs.length <= 3 ? jobs.map((j) => `"${j.file_name}"`).join(", ") : `${jobs.length} jobs`;
    if (!(await confirmDialog(`Delete ${jobs.length} job(s)?`, `${names}: the files, page images and results are deleted at once. This cannot be undone.`))) return;
    selected.clear();
    await removeJobs(jobs);
  });

  let timer;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 250); });
  status.addEventListener("change", () => load(true));
  format.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));

  const heads = [...COLUMNS, "Actions"].map((t, i) => h("th", { scope: "col", class: i >= 2 && i <= 4 ? "num" : undefined, dataset: t === "Actions" ? { label: "" } : undefined }, t));
  main.append(
    h("div", { class: "actions" }, h("h1", {}, "Jobs"), h("a", { class: "button", href: "#/upload" }, "Upload")),
    h("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); load(true); } },
      field("Search", search), field("Status", status), field("Format", format)),
    summary,
    bulk,
    h("div", { class: "table-wrap" }, h("table", { class: "jobs" },
      h("caption", { class: "muted", hidden: true }, "Jobs"),
      h("thead", {}, h("tr", {}, writer ? h("th", { scope: "col", dataset: { label: "" } }, h("span", { class: "visually-hidden" }, "Select")) : null, heads)),
      tbody)),
    h("p", {}, more),
  );
  await load(true);

  // A changed job: redraw its row in place; a new one: reload the first page.
  return onJobEvent((e) => {
    const shown = rows.get(e.id);
    if (e.deleted) {
      shown?.tr.remove();
      rows.delete(e.id);
      return syncSelection();
    }
    if (!shown) return void load(true);
    const { id: _, deleted: __, progress: ___, ...changed } = e;
    row({ ...shown.job, ...changed, error_message: e.error_message ?? undefined });
  });
}
