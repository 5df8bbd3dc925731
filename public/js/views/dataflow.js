// Data flow: generated from the server's running configuration, it says which outside
// providers receive what. With the offline engine and local disk, the answer is: nobody.
import { api, teamPath } from "../api.js";
import { h, notice } from "../dom.js";

const RECEIVES = { page_images: "page images", prompts: "prompts", instructions: "your instructions", extracted_text: "extracted text", schema: "your JSON Schema" };

export async function render(main) {
  const [flow, hooks] = await Promise.all([api("GET", teamPath("/data-flow")), api("GET", teamPath("/webhooks")).catch(() => ({ data: [] }))]);
  main.append(h("h1", {}, "Data flow"));
  if (flow.outside_providers === 0) {
    main.append(notice("ok", h("strong", {}, "No document data leaves this server. "), "Documents are read by the built-in offline engine and stored on this server's own disk",
      flow.storage.encryption ? ` (encrypted with ${flow.storage.encryption})` : "", ". No outside provider receives anything, and the dashboard loads no analytics."));
  } else {
    main.append(h("p", {}, `${flow.outside_providers} outside provider(s) receive data from this server:`));
  }
  const rows = [
    ...flow.models.map((m) => [m.provider, m.endpoint, `Model route for ${m.models.join(", ")} (${m.steps.join(", ")})`, m.receives.map((r) => RECEIVES[r] ?? r).join(", ")]),
    ...(flow.storage.kind === "s3" ? [["Object storage (S3)", `${flow.storage.endpoint} / ${flow.storage.bucket}`, "Stores files", flow.storage.receives.join(", ")]] : []),
    ...flow.analytics.map((a) => [a.provider, a.endpoint, "Dashboard analytics", a.receives.join(", ")]),
  ];
  if (rows.length) {
    main.append(h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Provider", "Endpoint", "Why", "Receives"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))))));
  }
  main.append(h("h2", {}, "Webhooks of this team"),
    hooks.data.length
      ? h("ul", {}, hooks.data.map((w) => h("li", {}, `${w.url}: ${w.include_results ? "job events with their results" : "job events (ids and status, no document text)"}${w.enabled ? "" : " (disabled)"}`)))
      : h("p", { class: "muted" }, "None: no job events are sent anywhere."));
}
