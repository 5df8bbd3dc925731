// Create or edit a template. The JSON Schema editor checks the schema on every keystroke and
// says what is wrong; saving is refused until it is valid.
import { api, teamPath, canWrite } from "../api.js";
import { h, field, notice, toast, confirmDialog } from "../dom.js";
import { checkSchema } from "../schema-check.js";
import { navigate } from "../router.js";
import { fillModels, modelNote, structuredModels, NO_STRUCTURED } from "../models.js";

export async function render(main, { id }) {
  const existing = id ? await api("GET", teamPath(`/templates/${id}`)) : null;
  const models = await api("GET", teamPath("/models")).catch(() => ({ models: [] }));
  const name = h("input", { type: "text", required: true, maxlength: 255, value: existing?.name ?? "" });
  const description = h("input", { type: "text", maxlength: 1000, value: existing?.description ?? "" });
  // Structured JSON only with a model that can produce it; an existing structured template stays editable.
  const canStructure = structuredModels(models.models).length > 0;
  const format = h("select", { "aria-describedby": canStructure ? undefined : "format-why" }, h("option", { value: "markdown" }, "Markdown"),
    h("option", { value: "structured", disabled: !canStructure && existing?.format !== "structured" }, canStructure ? "Structured JSON" : "Structured JSON (not available)"));
  format.value = existing?.format ?? "markdown";
  const formatWhy = canStructure ? null : h("p", { class: "hint", id: "format-why" }, NO_STRUCTURED);
  const model = h("select", { "aria-describedby": "model-note" });
  const modelHint = h("p", { class: "hint", id: "model-note" });
  const syncModels = () => {
    fillModels(model, models.models, format.value === "structured");
    modelHint.textContent = modelNote(models.models.find((m) => m.name === model.value), models.models);
  };
  if (existing) {
    fillModels(model, models.models, false);
    model.value = existing.model;
  }
  syncModels();
  format.addEventListener("change", syncModels);
  model.addEventListener("change", () => (modelHint.textContent = modelNote(models.models.find((m) => m.name === model.value), models.models)));
  const instructions = h("textarea", { rows: 3, maxlength: 2000, class: "short" });
  instructions.value = existing?.instructions ?? "";
  const boxes = h("input", { type: "checkbox", id: "tpl-boxes", checked: existing?.extract_bounding_boxes ?? false });
  const favorite = h("input", { type: "checkbox", id: "tpl-fav", checked: existing?.favorite ?? false });
  const schema = h("textarea", { spellcheck: false, "aria-describedby": "schema-status" });
  schema.value = existing?.schema ? JSON.stringify(existing.schema, null, 2) : "";
  const schemaStatus = h("div", { id: "schema-status", "aria-live": "polite" });
  const schemaField = field("JSON Schema", schema, "(checked as you type)");
  schemaField.append(schemaStatus);
  const status = h("div", { "aria-live": "assertive" });
  const save = h("button", { type: "submit" }, existing ? "Save changes" : "Create template");

  function validate() {
    const structured = format.value === "structured";
    schemaField.hidden = !structured;
    if (!structured) { save.disabled = false; return { ok: true }; }
    const { value, errors } = checkSchema(schema.value);
    if (!schema.value.trim()) errors.push("A structured template needs a schema.");
    schema.setAttribute("aria-invalid", String(errors.length > 0));
    schemaStatus.replaceChildren(errors.length
      ? h("ul", { class: "json-errors error" }, errors.map((e) => h("li", {}, e)))
      : h("p", { class: "small", style: undefined }, "✓ The schema is valid."));
    save.disabled = errors.length > 0;
    return { ok: errors.length === 0, value };
  }
  schema.addEventListener("input", validate);
  format.addEventListener("change", validate);
  validate();

  const form = h("form", { class: "card" },
    h("h1", {}, existing ? `Template: ${existing.name}` : "New template"),
    existing ? h("p", { class: "muted" }, `Slug ${existing.slug} · used ${existing.usage_count} time(s)`) : null,
    status,
    h("div", { class: "row" }, field("Name", name), field("Format", format), field("Model", model)),
    formatWhy, modelHint,
    field("Description", description),
    field("Instructions", instructions, "(optional guidance for the model)"),
    schemaField,
    h("label", { class: "check field", for: "tpl-boxes" }, boxes, "Extract bounding boxes"),
    h("label", { class: "check field", for: "tpl-fav" }, favorite, "Favorite"),
    h("div", { class: "actions" }, canWrite() ? save : null, h("a", { href: "#/templates", class: "button secondary" }, "Back")),
  );
  if (existing && canWrite()) {
    form.querySelector(".actions").append(h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmDialog("Delete this template?", `"${existing.name}" is deleted. Jobs already run keep their results.`))) return;
      await api("DELETE", teamPath(`/templates/${existing.id}`)).then(() => navigate("#/templates"), (err) => toast(err.message));
    } }, "Delete"));
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = validate();
    if (!v.ok) return;
    const body = { name: name.value, format: format.value, model: model.value, description: description.value || undefined,
      instructions: instructions.value || undefined, extract_bounding_boxes: boxes.checked, favorite: favorite.checked,
      schema: format.value === "structured" ? v.value : undefined };
    try {
      if (existing) await api("PUT", teamPath(`/templates/${existing.id}`), body);
      else await api("POST", teamPath("/templates"), body);
      toast("Template saved.");
      navigate("#/templates");
    } catch (err) {
      status.replaceChildren(notice("err", err.message));
    }
  });
  main.append(form);
}
