// Retention: whether and when documents are deleted, with a plain sentence that follows the
// form as it changes (and the server's own sentence once saved).
import { api, teamPath, isAdmin } from "../api.js";
import { h, field, notice } from "../dom.js";

export function sentence(auto, days) {
  if (!auto) return "Documents are kept until someone deletes them: uploaded files, page images and results stay on this server indefinitely.";
  if (days === 0) return "Documents are deleted as soon as their results have been read (or after a short grace period if nobody reads them): nothing is kept.";
  return `Uploaded files, page images and results are deleted ${days} day${days === 1 ? "" : "s"} after processing ends.`;
}

export async function render(main) {
  const s = await api("GET", teamPath("/settings"));
  const auto = h("input", { type: "checkbox", id: "auto-delete", checked: s.config.auto_delete_enabled, disabled: !isAdmin() });
  const days = h("input", { type: "number", id: "retention-days", min: 0, max: 365, value: s.config.retention_period_days, disabled: !isAdmin() });
  const plain = h("p", { id: "retention-sentence", class: "notice info", "aria-live": "polite" });
  const status = h("div", { "aria-live": "polite" });
  const update = () => {
    days.disabled = !auto.checked || !isAdmin();
    plain.textContent = sentence(auto.checked, Number(days.value));
  };
  auto.addEventListener("change", update);
  days.addEventListener("input", update);
  update();
  const form = h("form", { class: "card" },
    h("label", { class: "check field", for: "auto-delete" }, auto, "Delete documents automatically"),
    field("Keep documents for (days)", days, "(0 to 365; 0 deletes them once the results are read)"),
    plain, status,
    isAdmin() ? h("button", { type: "submit" }, "Save retention") : h("p", { class: "muted" }, "Only owners and admins can change this."));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await api("PUT", teamPath("/settings"), { auto_delete_enabled: auto.checked, retention_period_days: Number(days.value) });
      status.replaceChildren(notice("ok", `Saved. ${r.description}`));
    } catch (err) { status.replaceChildren(notice("err", err.message)); }
  });
  main.append(h("h1", {}, "Retention"), h("p", { class: "muted" }, "How long this team's documents stay on the server."), form);
}
