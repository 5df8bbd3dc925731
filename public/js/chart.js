// Bar charts drawn as SVG in the page (no library). Each chart also carries its numbers as a
// table inside <details>, for screen readers and for anyone who wants the exact values.
import { h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
};

export function barChart(title, points, { danger = false } = {}) {
  const W = 320, H = 140, pad = { l: 30, r: 6, t: 8, b: 20 };
  // An even top value keeps the middle gridline a whole number.
  const top = Math.max(2, ...points.map((p) => p.value));
  const max = top % 2 ? top + 1 : top;
  const bw = (W - pad.l - pad.r) / Math.max(1, points.length);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title}: ${points.reduce((a, p) => a + p.value, 0)} in all` });
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + (H - pad.t - pad.b) * (1 - f);
    root.append(svg("line", { x1: pad.l, x2: W - pad.r, y1: y, y2: y }));
    const t = svg("text", { x: pad.l - 4, y: y + 3, "text-anchor": "end" });
    t.textContent = String(Math.round(max * f));
    root.append(t);
  }
  points.forEach((p, i) => {
    const hgt = ((H - pad.t - pad.b) * p.value) / max;
    const r = svg("rect", { class: danger ? "bar err" : "bar", x: pad.l + i * bw + 1, y: H - pad.b - hgt, width: Math.max(1, bw - 2), height: hgt });
    const tip = svg("title");
    tip.textContent = `${p.label}: ${p.value}`;
    r.append(tip);
    root.append(r);
  });
  for (const i of [0, points.length - 1]) {
    if (!points[i]) continue;
    const t = svg("text", { x: pad.l + i * bw + bw / 2, y: H - 6, "text-anchor": i === 0 ? "start" : "end" });
    t.textContent = points[i].label.slice(5);
    root.append(t);
  }
  return h("figure", { class: "chart card" }, h("figcaption", {}, h("strong", {}, title)), root,
    h("details", {}, h("summary", {}, "Values"), h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Period"), h("th", { scope: "col", class: "num" }, title))),
      h("tbody", {}, points.filter((p) => p.value).map((p) => h("tr", {}, h("td", {}, p.label), h("td", { class: "num" }, String(p.value)))))))));
}
