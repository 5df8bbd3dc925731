// Templates: reusable reading options (format, model, instructions, schema). Favorites first,
// with how often each was used.
import { api, teamPath, canWrite } from "../api.js";
import { h, field, fmtDate, notice } from "../dom.js";

export async function render(main) {
  const search = h("input", { type: "search", placeholder: "Name" });
  const favOnly = h("input", { type: "checkbox", id: "fav-only" });
  const tbody = h("tbody");
  const statsEl = h("p", { class: "muted" });

  async function load() {
    const q = new URLSearchParams({ limit: "100" });
    if (search.value.trim()) q.set("search", search.value.trim());
    if (favOnly.checked) q.set("favorite", "true");
    const [r, stats] = await Promise.all([api("GET", teamPath(`/templates?${q}`)), api("GET", teamPath("/templates/stats")).catch(() => null)]);
    const list = r.data.filter((t) => !t.internal).sort((a, b) => Number(b.favorite) - Number(a.favorite));
    if (stats) statsEl.textContent = `${stats.total_templates} template(s), used ${stats.total_usage} time(s) in all.`;
    tbody.replaceChildren(...list.map((t) => {
      const star = h("button", { type: "button", class: "star", "aria-pressed": String(t.favorite), "aria-label": `Favorite: ${t.name}`, disabled: !canWrite() }, t.favorite ? "★" : "☆");
      star.addEventListener("click", async () => { await api("POST", teamPath(`/templates/${t.id}/favorite`)); load(); });
      return h("tr", {},
        h("td", {}, star),
        h("td", {}, h("a", { href: `#/templates/${t.id}` }, t.name), h("div", { class: "muted small" }, t.slug)),
        h("td", {}, t.format), h("td", {}, t.model),
        h("td", { class: "num" }, String(t.usage_count)),
        h("td", {}, fmtDate(t.last_used)));
    }));
    if (!list.length) tbody.append(h("tr", {}, h("td", { colspan: 6 }, "No templates yet.")));
  }
  let timer;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  favOnly.addEventListener("change", load);

  main.append(
    h("div", { class: "actions" }, h("h1", {}, "Templates"), canWrite() ? h("a", { class: "button", href: "#/templates/new" }, "New template") : null),
    h("div", { class: "row" }, field("Search", search), h("label", { class: "check field", for: "fav-only" }, favOnly, "Favorites only")),
    statsEl,
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Favorite", "Name", "Format", "Model", "Uses", "Last used"].map((t) => h("th", { scope: "col", class: t === "Uses" ? "num" : undefined }, t)))),
      tbody)),
  );
  await load().catch((err) => main.append(notice("err", err.message)));
}
