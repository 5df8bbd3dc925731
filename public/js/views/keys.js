// API keys: the secret is shown once, right after creation; the list shows prefixes only.
import { api, teamPath, isAdmin } from "../api.js";
import { h, field, fmtDate, notice, confirmDialog, toast } from "../dom.js";

/** For AI agents: the MCP endpoint and a ready VS Code configuration with the new key (docs/AGENTS.md). */
function mcpCard(key) {
  const url = `${location.origin}/api/v1/mcp`;
  const config = JSON.stringify({ servers: { leapocr: { type: "http", url, headers: { Authorization: `Bearer ${key}` } } } }, null, 2);
  return h("div", { class: "card" }, h("h2", {}, "Use it from an AI agent (MCP)"),
    h("p", {}, "MCP endpoint: ", h("code", { id: "mcp-url" }, url), ". VS Code (.vscode/mcp.json); for Claude Desktop and Claude Code see the README's Agents (MCP) section:"),
    h("pre", { id: "mcp-config" }, config),
    h("button", { type: "button", class: "secondary", onclick: () => navigator.clipboard?.writeText(config).then(() => toast("Copied.")) }, "Copy configuration"));
}

export async function render(main) {
  const tbody = h("tbody");
  const created = h("div", { "aria-live": "polite" });
  async function load() {
    const r = await api("GET", teamPath("/api-keys"));
    tbody.replaceChildren(...r.data.map((k) => h("tr", {},
      h("td", {}, k.name), h("td", {}, h("code", {}, `${k.prefix}…`)), h("td", {}, k.scopes.join(", ")),
      h("td", {}, h("span", { class: `badge ${k.status}` }, k.status)), h("td", {}, fmtDate(k.last_used_at)), h("td", {}, fmtDate(k.expires_at)),
      h("td", {}, k.status === "active" && isAdmin() ? h("button", { type: "button", class: "secondary", "aria-label": `Revoke ${k.name}`, onclick: async () => {
        if (!(await confirmDialog("Revoke this key?", `Requests with "${k.name}" are refused from now on.`, "Revoke"))) return;
        await api("DELETE", teamPath(`/api-keys/${k.id}`)).then(load, (err) => toast(err.message));
      } }, "Revoke") : null))));
    if (!r.data.length) tbody.append(h("tr", {}, h("td", { colspan: 7 }, "No keys yet.")));
  }
  const name = h("input", { type: "text", required: true, maxlength: 100, name: "key-name" });
  const expires = h("input", { type: "number", min: 1, max: 3650, name: "expires", placeholder: "never" });
  const form = h("form", { class: "card" }, h("h2", {}, "Create a key"),
    h("div", { class: "row" }, field("Name", name), field("Expires after (days)", expires, "(empty: never)"), h("div", { class: "field" }, h("button", { type: "submit" }, "Create key"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const k = await api("POST", teamPath("/api-keys"), { name: name.value, expires_in_days: expires.value ? Number(expires.value) : undefined });
      const secret = h("code", { class: "secret", id: "new-secret" }, k.key);
      const copy = h("button", { type: "button", class: "secondary", onclick: () => navigator.clipboard?.writeText(k.key).then(() => toast("Copied.")) }, "Copy");
      created.replaceChildren(notice("ok", h("strong", {}, `Key "${k.name}" created. `), "Copy the secret now: it is shown only this once.", secret, copy), mcpCard(k.key));
      name.value = "";
      expires.value = "";
      load();
    } catch (err) {
      created.replaceChildren(notice("err", err.message));
    }
  });
  main.append(h("h1", {}, "API keys"), h("p", { class: "muted" }, "Keys let programs use the API (header X-API-KEY). Only a hash is stored."),
    isAdmin() ? form : null, created,
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Prefix", "Scopes", "Status", "Last used", "Expires", ""].map((t) => h("th", { scope: "col" }, t)))), tbody)));
  await load();
}
