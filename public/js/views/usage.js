// Credits and usage: balance, and jobs, pages, credits and errors over the chosen period.
import { api, teamPath } from "../api.js";
import { h, field } from "../dom.js";
import { barChart } from "../chart.js";

export async function render(main) {
  const range = h("select", {}, [["7d", "Last 7 days"], ["30d", "Last 30 days"], ["90d", "Last 90 days"]].map(([v, t]) => h("option", { value: v, selected: v === "30d" }, t)));
  const balance = h("dl", { class: "facts card" });
  const charts = h("div", { class: "charts" });
  async function load() {
    const q = `?range=${range.value}`;
    const [b, jobs, errors] = await Promise.all([
      api("GET", teamPath("/credits/balance")),
      api("GET", teamPath(`/analytics/jobs/timeseries${q}`)),
      api("GET", teamPath(`/analytics/errors/timeseries${q}`)),
    ]);
    const facts = [["Credits used", b.credits_consumed], ["Granted", b.credits_granted], ["Remaining", b.unlimited ? "unlimited" : b.credits_remaining], ["Limit", b.credit_limit ?? "none"]];
    balance.replaceChildren(...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
    const ts = jobs.timeseries;
    charts.replaceChildren(
      barChart("Jobs", ts.map((p) => ({ label: p.bucket, value: p.total_jobs }))),
      barChart("Pages", ts.map((p) => ({ label: p.bucket, value: p.processed_pages }))),
      barChart("Credits", ts.map((p) => ({ label: p.bucket, value: p.credits_consumed }))),
      barChart("Failed jobs", errors.timeseries.map((p) => ({ label: p.bucket, value: p.failed_jobs })), { danger: true }),
    );
  }
  range.addEventListener("change", load);
  main.append(h("h1", {}, "Credits and usage"), h("div", { class: "row" }, field("Period", range)), balance, charts);
  await load();
}
