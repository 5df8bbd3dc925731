// One job: each page's image beside its text (rendered markdown, its source, or the structured
// JSON), bounding boxes drawn over the image and linked to their text on hover and focus,
// per-page errors, downloads, retry and delete.
import { api, teamPath, canWrite, errorFrom } from "../api.js";
import { h, notice, fmtDate, fmtDuration, confirmDialog, download, toast } from "../dom.js";
import { onJobEvent } from "../events.js";
import { renderMarkdown } from "../markdown.js";
import { navigate } from "../router.js";

const norm = (s) => String(s).toLowerCase().replace(/[#*_`>|[\]-]/g, " ").replace(/\s+/g, " ").trim();

export async function render(main, { id }) {
  const job = await api("GET", teamPath(`/jobs/${id}`));
  const head = h("div", { class: "actions" }, h("h1", {}, job.file_name), h("span", { class: `badge ${job.status}` }, job.status.replace("_", " ")));
  main.append(head, facts(job));
  if (job.is_deleted) return void main.append(notice("info", `This job was deleted on ${fmtDate(job.deleted_at)}: its file, page images and results are gone.`));
  if (job.error_message) main.append(notice("err", job.error_message));
  if (job.stage !== "done") return waitForJob(main, id, job);

  const result = await api("GET", teamPath(`/jobs/${id}/result?limit=1000`));
  main.append(actions(job, result));
  if (!job.workflow.source_available) main.append(notice("info", "The uploaded file has been deleted under the team's retention settings, so page images cannot be shown. The text remains until the results expire."));
  for (const page of result.pages) main.append(pageView(id, job, result, page));
}

function facts(job) {
  const items = [
    ["Pages", job.total_pages ? `${job.processed_pages}/${job.total_pages}${job.failed_pages ? ` (${job.failed_pages} failed)` : ""}` : "—"],
    ["Credits", job.credits_used], ["Duration", fmtDuration(job.duration_seconds)], ["Model", job.model],
    ["Format", job.result_format], ["Created", fmtDate(job.created_at)],
  ];
  return h("dl", { class: "facts" }, items.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
}

function waitForJob(main, id, job) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": "Pages read" });
  const text = h("p", { "aria-live": "polite" }, "Waiting for the job to start…");
  main.append(h("div", { class: "card" }, text, bar));
  return onJobEvent((e) => {
    if (e.id !== id) return;
    bar.value = e.progress;
    text.textContent = `${e.processed_pages} of ${e.total_pages || "?"} page(s) read`;
    if (e.stage === "done") navigate(`#/jobs/${id}`);
  });
}

function actions(job, result) {
  const base = job.file_name.replace(/\.[^.]+$/, "");
  const markdown = () => result.pages.map((p) => (typeof p.result === "string" ? p.result : JSON.stringify(p.result, null, 2))).join("\n\n---\n\n");
  const bar = h("div", { class: "actions card" },
    h("button", { type: "button", class: "secondary", onclick: () => download(`${base}.md`, markdown(), "text/markdown") }, "Download markdown"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`${base}.json`, JSON.stringify(result, null, 2), "application/json") }, "Download JSON"),
  );
  if (canWrite() && job.workflow.retryable) {
    bar.append(h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        await api("POST", teamPath(`/jobs/${job.id}/retry`), { pages: "failed" });
        toast("The job is queued again.");
        navigate(`#/jobs/${job.id}`);
      } catch (err) { toast(err.message); }
    } }, job.failed_pages ? "Retry failed pages" : "Retry"));
  }
  if (canWrite()) {
    bar.append(h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmDialog("Delete this job?", `The file "${job.file_name}", its page images and its results are deleted at once. This cannot be undone.`))) return;
      try {
        await api("DELETE", teamPath(`/jobs/${job.id}`));
        toast("Job deleted.");
        navigate("#/jobs");
      } catch (err) { toast(err.message); }
    } }, "Delete job"));
  }
  return bar;
}

function pageView(id, job, result, page) {
  const n = page.page_number;
  const section = h("section", { class: "page", "aria-label": `Page ${n}`, dataset: { page: n } });
  const figure = h("figure", { class: "page-image", style: undefined });
  const img = h("img", { src: teamPath(`/jobs/${id}/pages/${n}/image`), alt: `Page ${n} of ${job.file_name}`, loading: "lazy" });
  img.addEventListener("error", async () => {
    // Ask again to show the server's reason (410 after retention, for example).
    const res = await fetch(img.src, { credentials: "same-origin" });
    const message = res.ok ? "The page image could not be shown." : (await errorFrom(res)).message;
    figure.replaceChildren(h("div", { class: "image-missing" }, message));
  });
  figure.append(img);
  const text = h("div", { class: "page-text" });
  section.append(figure, text);

  const title = h("h2", {}, `Page ${n}`, page.confidence !== undefined ? h("span", { class: "muted small" }, ` · confidence ${Math.round(page.confidence * 100)} %`) : null);
  if (page.status === "failed") {
    text.append(title, notice("err", page.error_message || "This page could not be read."));
    return section;
  }
  if (job.result_format === "structured") {
    text.append(title, page.result === null ? h("p", { class: "muted" }, "The structured result of the whole document is on page 1.") : h("pre", { class: "json" }, JSON.stringify(page.result, null, 2)));
    drawBoxes(figure, page, []);
    return section;
  }
  const rendered = h("div", { class: "markdown" }, renderMarkdown(page.result));
  const source = h("pre", { hidden: true }, page.result);
  const tabR = h("button", { type: "button", "aria-pressed": "true" }, "Rendered");
  const tabS = h("button", { type: "button", "aria-pressed": "false" }, "Markdown source");
  const show = (r) => { rendered.hidden = !r; source.hidden = r; tabR.setAttribute("aria-pressed", String(r)); tabS.setAttribute("aria-pressed", String(!r)); };
  tabR.addEventListener("click", () => show(true));
  tabS.addEventListener("click", () => show(false));
  text.append(title, h("div", { class: "tabs", role: "group", "aria-label": "Text view" }, tabR, tabS), rendered, source);
  drawBoxes(figure, page, [...rendered.querySelectorAll("h2,h3,h4,h5,h6,p,li,td,th,blockquote,pre")]);
  return section;
}

/** Boxes are in the page's `dimensions` space; percentages scale them with the displayed image. */
function drawBoxes(figure, page, blocks) {
  const dims = page.dimensions;
  if (!page.bounding_boxes?.length || !dims) return;
  const blockNorms = blocks.map((b) => norm(b.textContent));
  page.bounding_boxes.forEach((box, i) => {
    const { x, y, width, height } = box.bounds;
    const el = h("div", { class: "bbox", title: `${box.type}: ${box.text.slice(0, 120)}`, dataset: { box: i } });
    el.style.left = `${(x / dims.width) * 100}%`;
    el.style.top = `${(y / dims.height) * 100}%`;
    el.style.width = `${(width / dims.width) * 100}%`;
    el.style.height = `${(height / dims.height) * 100}%`;
    figure.append(el);
    const t = norm(box.text);
    const k = blockNorms.findIndex((b) => t && (b.includes(t.slice(0, 80)) || t.includes(b)));
    if (k < 0) return;
    const block = blocks[k];
    block.dataset.box = String(i);
    block.tabIndex = 0;
    const on = () => { el.classList.add("hot"); block.classList.add("hot"); };
    const off = () => { el.classList.remove("hot"); block.classList.remove("hot"); };
    for (const node of [el, block]) {
      node.addEventListener("mouseenter", on);
      node.addEventListener("mouseleave", off);
    }
    block.addEventListener("focus", on);
    block.addEventListener("blur", off);
  });
}
