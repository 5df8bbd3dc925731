// Webhooks: subscriptions (add, edit, test, reveal or regenerate the signing secret, delete),
// and the event log of deliveries, each of whose payload can be opened.
import { api, teamPath, isAdmin } from "../api.js";
import { h, field, fmtDate, notice, confirmDialog, toast, copyButton } from "../dom.js";

// GET /api/v1/webhooks/event-types takes an API key only; these are its job events.
const EVENT_TYPES = ["job.created", "job.processing", "job.completed", "job.failed", "job.deleted"];

let formSeq = 0;
/** Address, events, "include results" (and "enabled" when editing): the same controls to add and to edit. */
function webhookFields(w) {
  const n = ++formSeq;
  const url = h("input", { type: "url", required: true, placeholder: "https://example.com/hooks/leapocr", value: w?.url ?? "" });
  const boxes = EVENT_TYPES.map((t, i) => h("input", { type: "checkbox", id: `wh${n}-ev-${i}`, value: t, checked: w ? w.events.includes(t) : /completed|failed/.test(t) }));
  const results = h("input", { type: "checkbox", id: `wh${n}-results`, checked: w?.include_results ?? false });
  const enabled = w ? h("input", { type: "checkbox", id: `wh${n}-enabled`, checked: w.enabled }) : null;
  const controls = [
    field("Address", url),
    h("fieldset", {}, h("legend", {}, "Events"), boxes.map((b) => h("label", { class: "check", for: b.id }, b, b.value))),
    h("label", { class: "check field", for: results.id }, results, "Include the results in the payload"),
    enabled ? h("label", { class: "check field", for: enabled.id }, enabled, "Enabled (turning it back on starts its failure count afresh)") : null,
  ];
  const value = () => ({
    url: url.value.trim(),
    events: boxes.filter((b) => b.checked).map((b) => b.value),
    include_results: results.checked,
    ...(enabled ? { enabled: enabled.checked } : {}),
  });
  return { controls, value, url };
}

/** The signing secret shown once, with Copy. */
const secretNotice = (text, secret) => notice("ok", text, h("code", { class: "secret" }, secret), copyButton(secret, "signing secret"));

/** One delivery's payload, opened under its row of the event log. */
async function togglePayload(button, row, e) {
  const open = button.getAttribute("aria-expanded") === "true";
  row.nextElementSibling?.classList.contains("payload-row") && row.nextElementSibling.remove();
  button.setAttribute("aria-expanded", String(!open));
  if (open) return;
  const cell = h("td", { colspan: 7 }, "Loading…");
  row.after(h("tr", { class: "payload-row", id: `payload-${e.id}` }, cell));
  try {
    const p = await api("GET", teamPath(`/webhooks/events/${encodeURIComponent(e.id)}/payload`));
    const json = JSON.stringify(p.payload, null, 2);
    cell.replaceChildren(
      h("div", { class: "actions" }, h("strong", {}, `Payload of ${p.event_type} ${p.event_id}`), copyButton(json, "payload")),
      p.note ? h("p", { class: "muted small" }, p.note) : null,
      h("pre", { class: "json", tabindex: "0", "aria-label": `Payload of ${p.event_type}` }, json));
  } catch (err) { cell.replaceChildren(notice("err", err.message)); }
}

export async function render(main) {
  const subs = h("div");
  const log = h("tbody");
  const status = h("div", { "aria-live": "polite" });

  function card(w) {
    const box = h("div", { class: "card" });
    const view = () => box.replaceChildren(
      h("div", { class: "actions" }, h("strong", {}, w.url), h("span", { class: `badge ${w.enabled ? "active" : "failed"}` }, w.enabled ? "enabled" : "disabled")),
      h("p", { class: "muted small" }, `${w.events.join(", ")}${w.include_results ? " · with results" : ""} · ${w.failure_count} failure(s) in a row${w.disabled_reason ? ` · ${w.disabled_reason}` : ""}`),
      isAdmin() ? h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: edit }, "Edit"),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          try {
            const t = await api("POST", teamPath(`/webhooks/${w.id}/test`));
            status.replaceChildren(notice(t.success ? "ok" : "err", t.message, t.http_status ? ` (HTTP ${t.http_status}, ${t.duration_ms} ms)` : ""));
            load();
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
        } }, "Send test event"),
        // The secret is never in the list: an admin asks for it (recorded in the audit log) or regenerates it.
        h("button", { type: "button", class: "secondary", onclick: async () => {
          try {
            const r = await api("POST", teamPath(`/webhooks/${w.id}/reveal-secret`));
            status.replaceChildren(secretNotice(`Signing secret of ${w.url} (this reveal is recorded in the audit log): `, r.secret));
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
        } }, "Reveal secret"),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          if (!(await confirmDialog("Regenerate the signing secret?", `The old secret stops signing at once; update the receiver at ${w.url}.`, "Regenerate"))) return;
          try {
            const r = await api("POST", teamPath(`/webhooks/${w.id}/regenerate-secret`));
            status.replaceChildren(secretNotice("New signing secret (copy it now): ", r.secret));
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
        } }, "Regenerate secret"),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          if (!(await confirmDialog("Delete this webhook?", `Events are no longer sent to ${w.url}.`))) return;
          await api("DELETE", teamPath(`/webhooks/${w.id}`)).then(load, (err) => toast(err.message));
        } }, "Delete")) : null);
    function edit() {
      const f = webhookFields(w);
      const err = h("div");
      const form = h("form", { "aria-label": `Edit webhook ${w.url}` }, h("h3", {}, "Edit webhook"), f.controls, err,
        h("div", { class: "actions" }, h("button", { type: "submit" }, "Save"), h("button", { type: "button", class: "secondary", onclick: () => { view(); box.querySelector("button")?.focus(); } }, "Cancel")));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          w = await api("PUT", teamPath(`/webhooks/${w.id}`), f.value());
          toast("Webhook saved.");
          view();
          box.querySelector("button")?.focus();
        } catch (x) { err.replaceChildren(notice("err", x.message)); }
      });
      box.replaceChildren(form);
      f.url.focus();
    }
    view();
    return box;
  }

  async function load() {
    const [r, ev] = await Promise.all([api("GET", teamPath("/webhooks")), api("GET", teamPath("/webhooks/events?limit=25"))]);
    subs.replaceChildren(...(r.data.length ? r.data.map(card) : [h("p", { class: "muted" }, "No webhooks yet.")]));
    log.replaceChildren(...ev.data.map((e) => {
      const open = h("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": `payload-${e.id}`, "aria-label": `Payload of ${e.event_type} at ${fmtDate(e.created_at)}` }, "Payload");
      const row = h("tr", {},
        h("td", { class: "when" }, fmtDate(e.created_at)), h("td", {}, e.event_type), h("td", {}, e.webhook_url),
        h("td", {}, h("span", { class: `badge ${e.processing_status}` }, e.processing_status)),
        h("td", { class: "num" }, String(e.processing_attempts)), h("td", {}, e.http_status ? String(e.http_status) : e.processing_error ?? "—"),
        h("td", {}, open));
      open.addEventListener("click", () => togglePayload(open, row, e));
      return row;
    }));
    if (!ev.data.length) log.append(h("tr", {}, h("td", { colspan: 7 }, "No events yet.")));
  }

  const add = webhookFields(null);
  const form = h("form", { class: "card" }, h("h2", {}, "Add a webhook"), add.controls, h("button", { type: "submit" }, "Add webhook"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const w = await api("POST", teamPath("/webhooks"), add.value());
      status.replaceChildren(secretNotice("Webhook added. Copy its signing secret now; later an admin can reveal it again (audited) or regenerate it: ", w.secret));
      add.url.value = "";
      load();
    } catch (err) { status.replaceChildren(notice("err", err.message)); }
  });
  main.append(h("h1", {}, "Webhooks"), isAdmin() ? form : null, status, h("h2", {}, "Subscriptions"), subs,
    h("h2", {}, "Event log"), h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["When", "Event", "Address", "Status", "Attempts", "Answer", "Payload"].map((t) => h("th", { scope: "col", class: t === "Attempts" ? "num" : undefined }, t)))), log)));
  await load();
}
