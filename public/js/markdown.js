// A small, safe markdown renderer for OCR output: headings, paragraphs, lists, tables, code,
// quotes, bold/italic/code spans and links. It builds DOM nodes (never innerHTML), and images
// are shown as their alt text so a document cannot make the browser fetch another host.
import { h } from "./dom.js";

function inline(text) {
  const out = [];
  const re = /(\*\*([^*]+)\*\*|__([^_]+)__|\*([^*]+)\*|_([^_]+)_|`([^`]+)`|!\[([^\]]*)\]\([^)]*\)|\[([^\]]+)\]\(([^)\s]+)\))/g;
  let last = 0;
  for (let m; (m = re.exec(text)); ) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[2] || m[3]) out.push(h("strong", {}, m[2] ?? m[3]));
    else if (m[4] || m[5]) out.push(h("em", {}, m[4] ?? m[5]));
    else if (m[6]) out.push(h("code", {}, m[6]));
    else if (m[0].startsWith("!")) out.push(h("span", { class: "muted" }, `[image: ${m[7] || "no description"}]`));
    else {
      const safe = /^(https?:|mailto:)/i.test(m[9]);
      out.push(safe ? h("a", { href: m[9], rel: "noopener noreferrer nofollow", target: "_blank" }, m[8]) : m[8]);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const cells = (line) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());

/** Returns an array of block elements. */
export function renderMarkdown(src) {
  const lines = String(src ?? "").replace(/\r\n?/g, "\n").split("\n");
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    let m;
    if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      blocks.push(h(`h${Math.min(6, m[1].length + 1)}`, {}, inline(m[2])));
      i++;
    } else if (/^```/.test(line)) {
      const body = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
      i++;
      blocks.push(h("pre", {}, h("code", {}, body.join("\n"))));
    } else if (/^\s*\|.*\|\s*$/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1])) {
      const head = cells(line);
      const body = [];
      for (i += 2; i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i]); i++) body.push(cells(lines[i]));
      blocks.push(h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, inline(c))))),
        h("tbody", {}, body.map((r) => h("tr", {}, r.map((c) => h("td", {}, inline(c)))))))));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items = [];
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) items.push(h("li", {}, inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""))));
      blocks.push(h(ordered ? "ol" : "ul", {}, items));
    } else if (/^>\s?/.test(line)) {
      const body = [];
      for (; i < lines.length && /^>\s?/.test(lines[i]); i++) body.push(lines[i].replace(/^>\s?/, ""));
      blocks.push(h("blockquote", {}, inline(body.join(" "))));
    } else if (/^(-{3,}|\*{3,})\s*$/.test(line)) {
      blocks.push(h("hr"));
      i++;
    } else {
      const body = [];
      for (; i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|>|\s*([-*+]|\d+[.)])\s+|\s*\|.*\|\s*$)/.test(lines[i]); i++) body.push(lines[i].trim());
      if (body.length === 0) body.push(lines[i++].trim());
      blocks.push(h("p", {}, inline(body.join(" "))));
    }
  }
  return blocks;
}
