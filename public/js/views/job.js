// One job. A failed job says why (the job's reason, and each failed page's own) and offers only
// what exists. The result viewer shows one page at a time: its image (zoom, boxes overlay,
// sticky beside the text) and its text (rendered markdown, its source, or the structured JSON),
// with page navigation (buttons, a page menu, ← and → keys), copy and download per page and for
// the whole document. Boxes and text stay linked on hover and focus.
import { api, teamPath, canWrite, errorFrom } from "../api.js";
import { h, notice, fmtDate, fmtDuration, confirmDialog, download, toast, copyText } from "../dom.js";

const copy = (text, done) => copyText(text).then(() => toast(done), (err) => toast(err.message));
import { onJobEvent } from "../events.js";
import { renderMarkdown } from "../markdown.js";
import { navigate } from "../router.js";

const norm = (s) => String(s).toLowerCase().replace(/[#*_`>|[\]-]/g, " ").replace(/\s+/g, " ").trim();
const ZOOMS = [1, 1.5, 2, 3];
const pageText = (job, page) => (job.result_format === "structured" ? JSON.stringify(page.result, null, 2) : page.result);

export async function render(main, { id }) {
  const job = await api("GET", teamPath(`/jobs/${id}`));
  const head = h("div", { class: "actions" }, h("h1", {}, job.file_name), h("span", { class: `badge ${job.status}` }, job.status.replace("_", " ")));
  main.append(head, facts(job));
  if (job.is_deleted) return void main.append(notice("info", `This job was deleted on ${fmtDate(job.deleted_at)}: its file, page images and results are gone.`));
  if (job.stage !== "done") {
    if (job.error_message) main.append(notice("err", job.error_message));
    return waitForJob(main, id, job);
  }

  const result = await api("GET", teamPath(`/jobs/${id}/result?limit=1000`));
  const read = result.pages.filter((p) => p.status === "completed");
  const failed = result.pages.filter((p) => p.status === "failed");
  for (const part of [failure(job, result, failed), actions(job, result, read)]) if (part) main.append(part);
  if (!result.pages.length) return;
  if (!job.workflow.source_available) main.append(notice("info", sourceGone(job)));
  return viewer(main, id, job, result);
}

/** Why the job (or some of its pages) failed, in the server's words; nothing when all went well. */
function failure(job, result, failed) {
  if (job.status !== "failed" && !failed.length) return null;
  const lines = [];
  // With failed pages, their own reasons say it all (the job's message repeats the first one).
  if (job.error_message && !failed.length) lines.push(h("p", {}, job.error_message));
  if (!result.pages.length && job.total_pages === 0) lines.push(h("p", {}, "No page was read, so there is no result to show or download."));
  if (failed.length) {
    lines.push(h("p", {}, `${failed.length} of ${result.pages.length} page(s) could not be read:`));
    lines.push(h("ul", { class: "failed-pages" }, failed.map((p) => h("li", {}, h("strong", {}, `Page ${p.page_number}: `), p.error_message || "no reason was recorded."))));
  }
  return h("div", { class: "notice err", role: "alert", id: "job-failure" }, h("strong", {}, job.status === "failed" ? "This job failed." : "Some pages failed."), lines);
}

/** The uploaded file is gone: say the real reason (retention only when retention removed it). */
function sourceGone(job) {
  if (job.workflow.source_deleted_at) return `The uploaded file was deleted on ${fmtDate(job.workflow.source_deleted_at)} under the team's retention settings, so page images cannot be shown. The text remains until the results expire.`;
  return "The uploaded file is not stored, so page images cannot be shown.";
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

/** Whole-document copy and downloads (only of the pages that were read), retry, delete. */
function actions(job, result, read) {
  const base = job.file_name.replace(/\.[^.]+$/, "");
  const bar = h("div", { class: "actions card", role: "group", "aria-label": "Document" });
  const partial = read.length < result.pages.length ? ` (${read.length} of ${result.pages.length} pages)` : "";
  if (read.length && job.result_format === "structured") {
    const json = () => JSON.stringify(result.structured_result ?? read[0].result, null, 2);
    // Copy sits beside the JSON on page 1.
    bar.append(h("button", { type: "button", class: "secondary", onclick: () => download(`${base}.json`, json(), "application/json") }, "Download JSON"));
  } else if (read.length) {
    const markdown = () => read.map((p) => p.result).join("\n\n---\n\n");
    bar.append(
      h("button", { type: "button", class: "secondary", onclick: () => copy(markdown(), "The document's markdown is copied.") }, `Copy markdown${partial}`),
      h("button", { type: "button", class: "secondary", onclick: () => download(`${base}.md`, markdown(), "text/markdown") }, `Download markdown${partial}`),
      h("button", { type: "button", class: "secondary", onclick: () => download(`${base}.json`, JSON.stringify(result, null, 2), "application/json") }, "Download JSON"),
    );
  }
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
  return bar.childElementCount ? bar : null;
}

/** The page viewer: toolbar (navigation, zoom, boxes) and one section per page, one shown at a time. */
function viewer(main, id, job, result) {
  const pages = result.pages;
  const count = pages.length;
  let current = 0;
  let zoom = 0;
  const hasBoxes = pages.some((p) => p.bounding_boxes?.length);

  const prev = h("button", { type: "button", class: "secondary", "aria-label": "Previous page" }, "‹ Previous");
  const next = h("button", { type: "button", class: "secondary", "aria-label": "Next page" }, "Next ›");
  const picker = h("select", { "aria-label": "Page", id: "page-picker" }, pages.map((p, i) => h("option", { value: String(i) }, `Page ${p.page_number}${p.status === "failed" ? " (failed)" : ""}`)));
  const position = h("span", { class: "muted small", "aria-live": "polite", id: "page-position" });
  const zoomOut = h("button", { type: "button", class: "secondary", "aria-label": "Zoom out" }, "−");
  const zoomIn = h("button", { type: "button", class: "secondary", "aria-label": "Zoom in" }, "+");
  const zoomLabel = h("span", { class: "small zoom-label", "aria-live": "polite", id: "zoom-level" }, "100 %");
  const boxesToggle = h("input", { type: "checkbox", id: "show-boxes", checked: true });
  const toolbar = h("div", { class: "viewer-bar card", role: "group", "aria-label": "Pages" },
    h("div", { class: "actions" }, prev, picker, next, position),
    h("div", { class: "actions" }, h("span", { class: "small muted" }, "Zoom"), zoomOut, zoomLabel, zoomIn,
      hasBoxes ? h("label", { class: "check", for: "show-boxes" }, boxesToggle, "Show boxes") : null),
    count > 1 ? h("p", { class: "small muted keys-hint" }, "Keys: ← and → change page, + and − zoom.") : null,
  );
  const sections = pages.map((p) => pageView(id, job, p));
  const root = h("div", { class: "viewer", id: "viewer" }, toolbar, sections);
  main.append(root);

  function show(i) {
    current = Math.max(0, Math.min(count - 1, i));
    sections.forEach((s, k) => (s.hidden = k !== current));
    picker.value = String(current);
    prev.disabled = current === 0;
    next.disabled = current === count - 1;
    position.textContent = `Page ${pages[current].page_number} of ${count}`;
  }
  function setZoom(z) {
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, z));
    root.style.setProperty("--zoom", String(ZOOMS[zoom]));
    zoomLabel.textContent = `${ZOOMS[zoom] * 100} %`;
    zoomOut.disabled = zoom === 0;
    zoomIn.disabled = zoom === ZOOMS.length - 1;
  }
  prev.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  picker.addEventListener("change", () => show(Number(picker.value)));
  zoomIn.addEventListener("click", () => setZoom(zoom + 1));
  zoomOut.addEventListener("click", () => setZoom(zoom - 1));
  boxesToggle.addEventListener("change", () => root.classList.toggle("no-boxes", !boxesToggle.checked));
  show(0);
  setZoom(0);

  // Keys act unless the user is typing or in a menu (there the arrows belong to the control).
  const onKey = (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    if (e.target.closest?.("input, select, textarea, [contenteditable], dialog")) return;
    // In a zoomed image the arrows scroll it.
    if (zoom > 0 && e.key.startsWith("Arrow") && e.target.closest?.(".page-image")) return;
    if (e.key === "ArrowRight" && count > 1) show(current + 1);
    else if (e.key === "ArrowLeft" && count > 1) show(current - 1);
    else if (e.key === "+" || e.key === "=") setZoom(zoom + 1);
    else if (e.key === "-") setZoom(zoom - 1);
    else return;
    e.preventDefault();
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}

function pageView(id, job, page) {
  const n = page.page_number;
  const section = h("section", { class: "page", "aria-label": `Page ${n}`, dataset: { page: n } });
  const canvas = h("div", { class: "page-canvas" });
  const figure = h("figure", { class: "page-image", tabindex: "0", "aria-label": `Image of page ${n}` }, canvas);
  if (job.workflow.source_available) {
    const img = h("img", { src: teamPath(`/jobs/${id}/pages/${n}/image`), alt: `Page ${n} of ${job.file_name}`, loading: "lazy" });
    img.addEventListener("error", async () => {
      // Ask again to show the server's reason (410 after retention, for example).
      const res = await fetch(img.src, { credentials: "same-origin" });
      const message = res.ok ? "The page image could not be shown." : (await errorFrom(res)).message;
      canvas.replaceChildren(h("div", { class: "image-missing" }, message));
    });
    canvas.append(img);
  } else {
    canvas.append(h("div", { class: "image-missing" }, "No page image: the uploaded file is not stored."));
  }
  const text = h("div", { class: "page-text" });
  section.append(figure, text);

  const title = h("h2", {}, `Page ${n}`, page.confidence !== undefined ? h("span", { class: "muted small" }, ` · confidence ${Math.round(page.confidence * 100)} %`) : null);
  if (page.status === "failed") {
    text.append(title, notice("err", `This page could not be read: ${page.error_message || "no reason was recorded."}`));
    return section;
  }
  const base = `${job.file_name.replace(/\.[^.]+$/, "")}-page-${n}`;
  const structured = job.result_format === "structured";
  const pageActions = page.result === null ? null : h("div", { class: "actions page-actions", role: "group", "aria-label": `Page ${n} text` },
    h("button", { type: "button", class: "secondary", onclick: () => copy(pageText(job, page), structured ? "The JSON is copied." : `Page ${n} is copied.`) }, structured ? "Copy JSON" : "Copy page"),
    structured ? null : h("button", { type: "button", class: "secondary", onclick: () => download(`${base}.md`, pageText(job, page), "text/markdown") }, "Download page"),
  );
  if (structured) {
    text.append(title, pageActions, page.result === null
      ? h("p", { class: "muted" }, "The structured result of the whole document is on page 1.")
      : h("pre", { class: "json", tabindex: "0", "aria-label": "Structured result (JSON)" }, JSON.stringify(page.result, null, 2)));
    drawBoxes(canvas, page, []);
    return section;
  }
  const rendered = h("div", { class: "markdown" }, renderMarkdown(page.result));
  const source = h("pre", { hidden: true }, page.result);
  const tabR = h("button", { type: "button", "aria-pressed": "true" }, "Rendered");
  const tabS = h("button", { type: "button", "aria-pressed": "false" }, "Markdown source");
  const show = (r) => { rendered.hidden = !r; source.hidden = r; tabR.setAttribute("aria-pressed", String(r)); tabS.setAttribute("aria-pressed", String(!r)); };
  tabR.addEventListener("click", () => show(true));
  tabS.addEventListener("click", () => show(false));
  text.append(title, h("div", { class: "text-bar" }, h("div", { class: "tabs", role: "group", "aria-label": "Text view" }, tabR, tabS), pageActions), rendered, source);
  drawBoxes(canvas, page, [...rendered.querySelectorAll("h2,h3,h4,h5,h6,p,li,td,th,blockquote,pre")]);
  return section;
}

/** Boxes are in the page's `dimensions` space; percentages scale them with the displayed (and zoomed) image. */
function drawBoxes(canvas, page, blocks) {
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
    canvas.append(el);
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
