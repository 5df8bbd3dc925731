// The help menu at the foot of the sidebar (in the Menu on phones): the server's API docs, the
// current team's organization and team ids (most workspace routes need both), the server's
// version, and the operator's support or booking link when LEAPOCR_SUPPORT_URL is set. What the
// server says about itself comes from /api/v1/dashboard/about, read once; the support link is
// only ever requested by the browser when the user clicks it.
import { api, session } from "./api.js";
import { h, copyButton } from "./dom.js";

let about = null;

async function loadAbout() {
  about ??= await api("GET", "/api/v1/dashboard/about").catch(() => null);
  return about;
}

function idRow(label, name, id, what) {
  return h("div", { class: "help-id" },
    h("dt", {}, label, name ? h("span", { class: "muted" }, ` (${name})`) : null),
    h("dd", {}, h("code", {}, id), copyButton(id, what)));
}

/** Redraws the panel for the current team (called after sign-in and on a team switch). */
export async function drawHelp() {
  const panel = document.getElementById("help-panel");
  const info = await loadAbout();
  const team = session.team;
  const docs = info?.docs_url ?? "/api/v1/docs";
  panel.replaceChildren(
    h("h2", { id: "help-title" }, "Help"),
    h("ul", { class: "help-links" },
      h("li", {}, h("a", { href: docs, target: "_blank", rel: "noopener" }, "API documentation")),
      h("li", {}, h("a", { href: info?.openapi_url ?? `${docs}/openapi.json`, target: "_blank", rel: "noopener" }, "OpenAPI document (JSON)")),
      info?.support_url ? h("li", {}, h("a", { href: info.support_url, target: "_blank", rel: "noopener noreferrer", id: "support-link" }, "Contact support")) : null),
    team
      ? h("dl", { class: "help-ids" },
          idRow("Organization id", team.organization_name, team.organization_id, "organization id"),
          idRow("Team id", team.name, team.id, "team id"))
      : h("p", { class: "muted" }, "You are not a member of any team yet."),
    team ? h("p", { class: "hint" }, `Workspace routes take both: /api/v1/organizations/${team.organization_id}/teams/${team.id}/…`) : null,
    h("p", { class: "muted small", id: "server-version" }, info ? `Server version ${info.version}` : "Server version unknown"),
  );
}

function setOpen(open, focusBack = false) {
  const toggle = document.getElementById("help-toggle");
  const panel = document.getElementById("help-panel");
  toggle.setAttribute("aria-expanded", String(open));
  panel.hidden = !open;
  if (open) panel.querySelector("a, button")?.focus();
  else if (focusBack) toggle.focus();
}

export function initHelp() {
  const toggle = document.getElementById("help-toggle");
  const panel = document.getElementById("help-panel");
  toggle.addEventListener("click", () => setOpen(panel.hidden));
  // Escape closes it and gives focus back; so does a click anywhere else.
  panel.addEventListener("keydown", (e) => e.key === "Escape" && setOpen(false, true));
  document.addEventListener("click", (e) => {
    if (!panel.hidden && !panel.contains(e.target) && !toggle.contains(e.target)) setOpen(false);
  });
  window.addEventListener("hashchange", () => setOpen(false));
}
