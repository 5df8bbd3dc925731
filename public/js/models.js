// How the dashboard presents models: which engine reads the pages, what a page costs, and
// whether the model can produce structured JSON (only those are offered for it).

/** Every OCR route of the model is the embedded offline engine. */
export const onOfflineEngine = (m) => m.routes.length > 0 && m.routes.every((r) => r.provider === "offline");
export const structuredModels = (models) => models.filter((m) => m.supports_structured);
export const NO_STRUCTURED = "No model on this server can produce structured JSON: that needs a model route (Gemini or an OpenAI-compatible endpoint; see docs/CONFIG.md). The offline engine produces markdown only.";

const credits = (n) => `${n} credit${n === 1 ? "" : "s"}/page`;

/** The option text: name, the offline engine when that is what runs, and the price. */
export function modelLabel(m) {
  const name = m.display_name || m.name;
  return onOfflineEngine(m) ? `${name} · offline engine · ${credits(m.credits_per_page)}` : `${name} · ${credits(m.credits_per_page)}`;
}

/** One plain sentence on the chosen model; names the cheaper models that run the same engine. */
export function modelNote(m, all) {
  if (!m) return "";
  if (!onOfflineEngine(m)) return `${m.display_name || m.name} costs ${credits(m.credits_per_page)}${m.supports_structured ? " and can produce structured JSON." : "; markdown only."}`;
  const same = all.filter((o) => o !== m && onOfflineEngine(o) && o.credits_per_page < m.credits_per_page);
  const base = `${m.display_name || m.name} runs on the embedded offline engine (markdown only) at ${credits(m.credits_per_page)}.`;
  if (!same.length) return base;
  return `${base} ${same.map((o) => `${o.display_name || o.name} (${credits(o.credits_per_page)})`).join(" and ")} ${same.length > 1 ? "run" : "runs"} the same engine and read pages the same way.`;
}

/** Fills a model <select> with the models fit for the format, keeping the choice when it still fits. */
export function fillModels(select, models, structured) {
  const list = structured ? structuredModels(models) : models;
  const keep = select.value;
  select.replaceChildren(...list.map((m) => {
    const o = document.createElement("option");
    o.value = m.name;
    o.textContent = modelLabel(m);
    return o;
  }));
  if (list.some((m) => m.name === keep)) select.value = keep;
}
