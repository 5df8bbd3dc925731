// Upload: pick or drop several PDFs and images, choose how they are read, and watch two
// progress bars per file: the bytes going up (XHR upload progress on the signed part PUT),
// then the pages being read (server-sent events; no polling).
import { api, teamPath, putWithProgress } from "../api.js";
import { h, field, notice, fmtBytes } from "../dom.js";
import { onJobEvent } from "../events.js";
import { fillModels, modelNote, structuredModels, NO_STRUCTURED } from "../models.js";

const ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp,.tif,.tiff,application/pdf,image/png,image/jpeg,image/webp,image/tiff";
const TYPES = { pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", tif: "image/tiff", tiff: "image/tiff" };
const typeOf = (f) => f.type || TYPES[f.name.split(".").pop().toLowerCase()] || "application/octet-stream";

export async function render(main) {
  const [models, templates] = await Promise.all([
    api("GET", teamPath("/models")).catch(() => ({ models: [] })),
    api("GET", teamPath("/templates?limit=100")).catch(() => ({ data: [] })),
  ]);
  let files = [];
  const jobsById = new Map();

  const input = h("input", { type: "file", multiple: true, accept: ACCEPT, id: "file-input" });
  const drop = h("div", { class: "drop" },
    h("p", {}, h("strong", {}, "Drop PDFs or images here"), " or choose them:"),
    h("label", { for: "file-input", class: "hint" }, "Files (PDF, PNG, JPEG, WebP, TIFF; several at once)"),
    input,
  );
  const chosen = h("ul", { class: "uploads", "aria-label": "Chosen files" });
  // Structured JSON is offered only with the models that can produce it, and not at all without one.
  const canStructure = structuredModels(models.models).length > 0;
  const model = h("select", { name: "model", "aria-describedby": "model-note" });
  const modelHint = h("p", { class: "hint", id: "model-note" });
  const fmtMarkdown = h("input", { type: "radio", name: "format", value: "markdown", checked: true, id: "fmt-md" });
  const fmtStructured = h("input", { type: "radio", name: "format", value: "structured", id: "fmt-st", disabled: !canStructure, "aria-describedby": canStructure ? undefined : "fmt-st-why" });
  const usable = templates.data.filter((t) => !t.internal && t.enabled !== false);
  const template = h("select", { name: "template" }, h("option", { value: "" }, "None"),
    usable.map((t) => h("option", { value: t.slug, disabled: t.format === "structured" && !canStructure }, `${t.favorite ? "★ " : ""}${t.name}${t.format === "structured" && !canStructure ? " (structured: no model can run it)" : ""}`)));
  const schema = h("textarea", { name: "schema", spellcheck: false, placeholder: '{ "type": "object", "properties": { "total": { "type": "number" } } }' });
  const schemaField = field("JSON Schema", schema, "(for structured output without a template)");
  const instructions = h("input", { type: "text", name: "instructions", maxlength: 100 });
  const boxes = h("input", { type: "checkbox", name: "boxes", id: "opt-boxes", checked: true });
  const status = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit", disabled: true }, "Upload");
  const running = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const progressHeading = h("h2", { class: "progress-heading" }, "Progress");

  const chosenTemplate = () => usable.find((t) => t.slug === template.value);
  const syncSchema = () => {
    schemaField.hidden = !(fmtStructured.checked && !template.value);
    const structured = chosenTemplate() ? chosenTemplate().format === "structured" : fmtStructured.checked;
    fillModels(model, models.models, structured);
    modelHint.textContent = modelNote(models.models.find((m) => m.name === model.value), models.models);
  };
  fmtMarkdown.addEventListener("change", syncSchema);
  fmtStructured.addEventListener("change", syncSchema);
  template.addEventListener("change", syncSchema);
  model.addEventListener("change", () => (modelHint.textContent = modelNote(models.models.find((m) => m.name === model.value), models.models)));
  syncSchema();

  function setFiles(list) {
    files = [...files, ...list];
    chosen.replaceChildren(...files.map((f, i) => h("li", {}, `${f.name} · ${fmtBytes(f.size)} `,
      h("button", { type: "button", class: "secondary", "aria-label": `Remove ${f.name}`, onclick: () => { files.splice(i, 1); setFiles([]); } }, "Remove"))));
    submit.disabled = files.length === 0;
    submit.textContent = files.length > 1 ? `Upload ${files.length} files` : "Upload";
  }
  input.addEventListener("change", () => { setFiles([...input.files]); input.value = ""; });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); setFiles([...e.dataTransfer.files]); });

  // Page progress of every job started here, from the live event stream.
  const stop = onJobEvent((e) => jobsById.get(e.id)?.(e));

  const form = h("form", {},
    h("h1", {}, "Upload documents"),
    drop, chosen,
    h("fieldset", {}, h("legend", {}, "How to read them"),
      h("div", { class: "row" }, field("Model", model), field("Template", template, "(fills in the options below)")),
      modelHint,
      h("fieldset", {}, h("legend", {}, "Output format"),
        h("label", { class: "check", for: "fmt-md" }, fmtMarkdown, "Markdown"),
        h("label", { class: "check", for: "fmt-st" }, fmtStructured, canStructure ? "Structured JSON (lists only the models that can produce it)" : "Structured JSON (not available)"),
        canStructure ? null : h("p", { class: "hint", id: "fmt-st-why" }, NO_STRUCTURED)),
      schemaField,
      field("Instructions", instructions, "(optional, at most 100 characters)"),
      h("label", { class: "check", for: "opt-boxes" }, boxes, "Extract bounding boxes"),
    ),
    status,
    h("div", { class: "actions" }, submit),
    progressHeading,
    running,
  );

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.replaceChildren();
    const options = { model: model.value || undefined, extract_bounding_boxes: boxes.checked };
    if (template.value) options.template_slug = template.value;
    else options.format = fmtStructured.checked ? "structured" : "markdown";
    if (instructions.value.trim()) options.instructions = instructions.value.trim();
    if (!template.value && fmtStructured.checked) {
      try { options.schema = JSON.parse(schema.value); } catch (err) { status.append(notice("err", `The schema is not valid JSON: ${err.message}`)); return; }
    }
    const batch = files;
    files = [];
    setFiles([]);
    // The form fills a laptop screen: bring the progress to where the eye is, or nothing
    // visible would change after "Upload" (issue 18, point 4). Once per batch, so a user who
    // scrolls away meanwhile is not pulled back.
    const reveal = () => progressHeading.scrollIntoView({ block: "start" });
    for (const [i, f] of batch.entries()) await uploadOne(f, options, running, jobsById, i === 0 ? reveal : () => {});
  });
  main.append(form);
  return stop;
}

/** A card the user is looking at stays in view when it grows (its final message); one out of view is left alone. */
function growInView(li, change) {
  const r = li.getBoundingClientRect();
  const watching = r.top < innerHeight && r.bottom > 0;
  change();
  if (watching) li.scrollIntoView({ block: "nearest" });
}

async function uploadOne(file, options, list, jobsById, reveal) {
  const upBar = h("progress", { max: 100, value: 0, "aria-label": `Upload of ${file.name}` });
  const upText = h("span", {}, "0 %");
  const pageBar = h("progress", { max: 100, value: 0, "aria-label": `Pages of ${file.name}`, class: "pages" });
  const pageText = h("span", { class: "state" }, "waiting for the upload");
  const msg = h("div");
  const li = h("li", { class: "upload", dataset: { file: file.name } }, h("strong", {}, file.name),
    h("div", { class: "progress-label" }, h("span", {}, "Upload"), upText), upBar,
    h("div", { class: "progress-label" }, h("span", {}, "Pages"), pageText), pageBar, msg);
  list.prepend(li);
  reveal();
  /** The upload or the job failed: the bars give way to the reason, in red. */
  const failed = (reason, ...more) => {
    li.classList.add("failed");
    li.dataset.done = "failed";
    if (upBar.value < 100) upText.replaceChildren(h("span", { class: "state" }, "failed"));
    pageText.textContent = "failed";
    pageBar.hidden = true;
    if (upBar.value < 100) upBar.hidden = true;
    growInView(li, () => msg.replaceChildren(notice("err", h("strong", {}, "Failed: "), reason, more.length ? " " : "", ...more)));
  };
  try {
    const up = await api("POST", teamPath("/uploads/direct"), { file_name: file.name, file_size: file.size, content_type: typeOf(file), ...options });
    const done = new Array(up.parts.length).fill(0);
    const parts = [];
    for (const p of up.parts) {
      const etag = await putWithProgress(p.upload_url, file.slice(p.start_byte, p.end_byte + 1), (loaded) => {
        done[p.part_number - 1] = loaded;
        const pct = Math.min(100, Math.floor((done.reduce((a, b) => a + b, 0) / file.size) * 100));
        upBar.value = pct;
        upText.textContent = `${pct} %`;
      });
      done[p.part_number - 1] = p.end_byte - p.start_byte + 1;
      parts.push({ part_number: p.part_number, etag });
    }
    upBar.value = 100;
    upText.textContent = "100 %";
    const open = () => h("a", { href: `#/jobs/${up.job_id}` }, "Open the job");
    const update = (e) => {
      if (e.stage === "done" && e.status === "failed") {
        // Not a full bar: a failed job read nothing, and says why.
        return failed(e.error_message || "The job failed.", open());
      }
      pageBar.value = e.progress;
      pageText.textContent = e.total_pages ? `${e.processed_pages} of ${e.total_pages} page(s) · ${e.progress} %` : e.status;
      if (e.stage === "done") {
        const bad = e.failed_pages ?? 0;
        growInView(li, () => msg.replaceChildren(bad
          ? notice("warn", h("strong", {}, `${bad} of ${e.total_pages} page(s) could not be read. `), e.error_message ? `${e.error_message} ` : "", open())
          : notice("ok", `Done. `, open())));
        li.dataset.done = bad ? "partial" : e.status;
        if (bad) li.classList.add("partial");
      }
    };
    jobsById.set(up.job_id, update);
    await api("POST", teamPath(`/uploads/${up.job_id}/complete`), { parts });
    pageText.textContent = "queued";
    // The stream carries every later change; this one read covers a job that finished before it.
    const j = await api("GET", teamPath(`/jobs/${up.job_id}`));
    if (j.stage === "done") update({ ...j, progress: 100, error_message: j.error_message });
  } catch (err) {
    failed(err.message);
  }
}
