// Webhooks: subscriptions with a test button, and the event log of deliveries.
import { api, teamPath, isAdmin } from "../api.js";
import { h, field, fmtDate, notice, confirmDialog, toast } from "../dom.js";

export async function render(main) {
  // GET /api/v1/webhooks/event-types takes an API key only; these are its job events.
  const types = { event_types: ["job.created", "job.processing", "job.completed", "job.failed", "job.deleted"] };
  const subs = h("div");
  const log = h("tbody");
  const status = h("div", { "aria-live": "polite" });

  async function load() {
    const [r, ev] = await Promise.all([api("GET", teamPath("/webhooks")), api("GET", teamPath("/webhooks/events?limit=25"))]);
    subs.replaceChildren(...(r.data.length ? r.data.map((w) => h("div", { class: "card" },
      h("div", { class: "actions" }, h("strong", {}, w.url), h("span", { class: `badge ${w.enabled ? "active" : "failed"}` }, w.enabled ? "enabled" : "disabled")),
      h("p", { class: "muted small" }, `${w.events.join(", ")}${w.include_results ? " · with results" : ""} · ${w.failure_count} failure(s) in a row${w.disabled_reason ? ` · ${w.disabled_reason}` : ""}`),
      isAdmin() ? h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: async () => {
          try {
            const t = await api("POST", teamPath(`/webhooks/${w.id}/test`));
            status.replaceChildren(notice(t.success ? "ok" : "err", t.message, t.http_status ? ` (HTTP ${t.http_status}, ${t.duration_ms} ms)` : ""));
            load();
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
        } }, "Send test event"),
        // The secret is never in the list: an admin asks for it (recorded in the audit log) or rotates it.
        h("button", { type: "button", class: "secondary", onclick: async () => {
          try {
            const r = await api("POST", teamPath(`/webhooks/${w.id}/reveal-secret`));
            status.replaceChildren(notice("ok", `Signing secret of ${w.url} (this reveal is recorded in the audit log): `, h("code", { class: "secret" }, r.secret)));
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
        } }, "Reveal secret"),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          if (!(await confirmDialog("Rotate the signing secret?", `The old secret stops signing at once; update the receiver at ${w.url}.`, "Rotate"))) return;
          try {
            const r = await api("POST", teamPath(`/webhooks/${w.id}/regenerate-secret`));
            status.replaceChildren(notice("ok", "New signing secret (copy it now): ", h("code", { class: "secret" }, r.secret)));
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
        } }, "Rotate secret"),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          if (!(await confirmDialog("Delete this webhook?", `Events are no longer sent to ${w.url}.`))) return;
          await api("DELETE", teamPath(`/webhooks/${w.id}`)).then(load, (err) => toast(err.message));
        } }, "Delete")) : null,
    )) : [h("p", { class: "muted" }, "No webhooks yet.")]));
    log.replaceChildren(...ev.data.map((e) => h("tr", {},
      h("td", {}, fmtDate(e.created_at)), h("td", {}, e.event_type), h("td", {}, e.webhook_url),
      h("td", {}, h("span", { class: `badge ${e.processing_status}` }, e.processing_status)),
      h("td", { class: "num" }, String(e.processing_attempts)), h("td", {}, e.http_status ? String(e.http_status) : e.processing_error ?? "—"))));
    if (!ev.data.length) log.append(h("tr", {}, h("td", { colspan: 6 }, "No events yet.")));
  }

  const url = h("input", { type: "url", required: true, placeholder: "https://example.com/hooks/leapocr" });
  const results = h("input", { type: "checkbox", id: "wh-results" });
  const boxes = types.event_types.map((t, i) => h("label", { class: "check", for: `wh-ev-${i}` }, h("input", { type: "checkbox", id: `wh-ev-${i}`, value: t, checked: /completed|failed/.test(t) }), t));
  const form = h("form", { class: "card" }, h("h2", {}, "Add a webhook"), field("Address", url),
    h("fieldset", {}, h("legend", {}, "Events"), boxes),
    h("label", { class: "check field", for: "wh-results" }, results, "Include the results in the payload"),
    h("button", { type: "submit" }, "Add webhook"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const events = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    try {
      const w = await api("POST", teamPath("/webhooks"), { url: url.value, events, include_results: results.checked });
      status.replaceChildren(notice("ok", "Webhook added. Copy its signing secret now; later an admin can reveal it again (audited) or rotate it: ", h("code", { class: "secret" }, w.secret)));
      url.value = "";
      load();
    } catch (err) { status.replaceChildren(notice("err", err.message)); }
  });
  main.append(h("h1", {}, "Webhooks"), isAdmin() ? form : null, status, h("h2", {}, "Subscriptions"), subs,
    h("h2", {}, "Event log"), h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["When", "Event", "Address", "Status", "Attempts", "Answer"].map((t) => h("th", { scope: "col", class: t === "Attempts" ? "num" : undefined }, t)))), log)));
  await load();
}
