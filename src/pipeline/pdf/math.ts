/**
 * Math in a text layer -> LaTeX. A formula in a PDF is glyphs placed in two dimensions: exponents
 * raised and smaller, indices lowered, a fraction's numerator and denominator stacked over and
 * under the baseline, limits over and under a big operator. Read line by line, these come out
 * as a scatter of one-letter lines ("eiπ + 1 = 0", "∂B" / "∇ × E = −" / "∂t"), a table or a
 * heading. Here the glyph runs of a formula are found as one cluster, set in LaTeX from their
 * geometry and replaced by one run carrying that LaTeX, which the layout then places like any
 * other text: a formula alone on its line becomes `$$...$$`, one inside a sentence `$...$`.
 */
import type { Glyphs } from "./layout";

/** Characters that only formulas use (a "+" or "−" alone is as common in tables of figures). */
const MATH_CHAR = /[\u0391-\u03a9\u03b1-\u03c9\u03d1\u03d5\u03f5∫∬∭∮∑∏∐∂∇√∞×⋅∘=<>≤≥≠≈≡∼≃≅∝∈∉∋⊂⊃⊆⊇∪∩∧∨∀∃→←↔⇒⇐⇔↦′″]/u;
const BIG_OP = /^[∫∬∭∮∑∏∐⋃⋂]$/u;
/** Short words of running text: a run holding one is prose, not a formula. */
const PROSE_WORD = /^(an|the|and|or|of|to|in|is|are|be|by|if|as|at|on|for|let|then|we|it|so|with|where|that|from|not|has|have|such|all|any|each|some|this|which|when|thus|hence|let|de|la|le|et|der|die|und)$/i;

/** LaTeX for characters KaTeX and most renderers read better as commands. */
const TEX: Record<string, string> = {
  α: "\\alpha", β: "\\beta", γ: "\\gamma", δ: "\\delta", ε: "\\varepsilon", ϵ: "\\epsilon", ζ: "\\zeta", η: "\\eta", θ: "\\theta", ϑ: "\\vartheta",
  ι: "\\iota", κ: "\\kappa", λ: "\\lambda", μ: "\\mu", ν: "\\nu", ξ: "\\xi", π: "\\pi", ρ: "\\rho", σ: "\\sigma", ς: "\\varsigma", τ: "\\tau",
  υ: "\\upsilon", φ: "\\varphi", ϕ: "\\phi", χ: "\\chi", ψ: "\\psi", ω: "\\omega", Γ: "\\Gamma", Δ: "\\Delta", Θ: "\\Theta", Λ: "\\Lambda",
  Ξ: "\\Xi", Π: "\\Pi", Σ: "\\Sigma", Φ: "\\Phi", Ψ: "\\Psi", Ω: "\\Omega", "∫": "\\int", "∬": "\\iint", "∭": "\\iiint", "∮": "\\oint",
  "∑": "\\sum", "∏": "\\prod", "∐": "\\coprod", "⋃": "\\bigcup", "⋂": "\\bigcap", "∂": "\\partial", "∇": "\\nabla", "√": "\\surd", "∞": "\\infty",
  "×": "\\times", "⋅": "\\cdot", "·": "\\cdot", "∘": "\\circ", "±": "\\pm", "∓": "\\mp", "÷": "\\div", "≤": "\\leq", "≥": "\\geq", "≠": "\\neq",
  "≈": "\\approx", "≡": "\\equiv", "∼": "\\sim", "≃": "\\simeq", "≅": "\\cong", "∝": "\\propto", "∈": "\\in", "∉": "\\notin", "∋": "\\ni",
  "⊂": "\\subset", "⊃": "\\supset", "⊆": "\\subseteq", "⊇": "\\supseteq", "∪": "\\cup", "∩": "\\cap", "∧": "\\wedge", "∨": "\\vee",
  "∀": "\\forall", "∃": "\\exists", "→": "\\to", "←": "\\leftarrow", "↔": "\\leftrightarrow", "⇒": "\\Rightarrow", "⇐": "\\Leftarrow",
  "⇔": "\\Leftrightarrow", "↦": "\\mapsto", "′": "\\prime", "″": "\\prime\\prime", "−": "-", "–": "-", "{": "\\{", "}": "\\}", "#": "\\#",
  "%": "\\%", "&": "\\&", _: "\\_", $: "\\$", "\\": "\\backslash", "^": "\\hat{}", "~": "\\sim", "□": "\\square", "∅": "\\emptyset",
};

interface Item {
  g: Glyphs;
  text: string;
  x0: number;
  x1: number;
  y: number;
  size: number;
  /** Accents drawn as glyphs of their own over letters of this run: character index -> command. */
  accents?: Map<number, string>;
}

/** Spacing accents TeX draws over a letter as a glyph of their own. */
const ACCENT_CMD: Record<string, string> = { "ˆ": "\\hat", "^": "\\hat", "˜": "\\tilde", "~": "\\tilde", "¯": "\\bar", "˙": "\\dot", "¨": "\\ddot", "´": "\\acute", "`": "\\grave", "ˇ": "\\check", "˘": "\\breve", "→": "\\vec" };

// A big operator reaches further over and under the line than a letter of its size.
const top = (i: Item) => i.y - i.size * (BIG_OP.test(i.text) ? 1.1 : 0.8);
const bottom = (i: Item) => i.y + i.size * (BIG_OP.test(i.text) ? 0.4 : 0.25);

/** A run of running text: a word of four letters or more, a short word of a sentence, a list number. */
export function isProse(text: string): boolean {
  // A list or exercise number ("150.", "a)") starts the text beside it, not a formula.
  if (/^\(?(\d{1,4}|[a-z]|[ivx]{1,4})[.)]$/i.test(text.trim())) return true;
  return text.split(/\s+/).some((w) => /\p{L}{4,}/u.test(w) || PROSE_WORD.test(w.replace(/[.,;:!?]+$/, "")));
}

/** Names of functions and operators set upright: KaTeX's own commands, and others as \operatorname. */
const OPERATOR_NAME = /(?<!\p{L})(sin|cos|tan|cot|sec|csc|sinh|cosh|tanh|arcsin|arccos|arctan|log|ln|lg|exp|lim|liminf|limsup|max|min|sup|inf|det|ker|dim|gcd|deg|arg|hom|Pr|Ann|Hom|End|Aut|Gal|Spec|rank|diag|sgn|lcm)(?!\p{L})/u;
const KATEX_NAMED = new Set(["sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "log", "ln", "lg", "exp", "lim", "liminf", "limsup", "max", "min", "sup", "inf", "det", "ker", "dim", "gcd", "deg", "arg", "hom", "Pr"]);

/** One character or run in LaTeX: symbols as commands, bold letters as \mathbf, function names upright. */
function texText(item: Item): string {
  const text = item.text.replace(/\s+/g, " ").trim();
  const name = OPERATOR_NAME.exec(text);
  if (name) {
    const before = texText({ ...item, text: text.slice(0, name.index) });
    const after = texText({ ...item, text: text.slice(name.index + name[0].length) });
    return `${before} ${KATEX_NAMED.has(name[1]!) ? `\\${name[1]}` : `\\operatorname{${name[1]}}`} ${after}`.trim();
  }
  let out = "";
  let k = -1;
  for (const c of text) {
    k++;
    const accent = item.accents?.get(k);
    if (accent) {
      out += `${accent}{${texText({ ...item, text: c, accents: undefined })}}`;
      continue;
    }
    const t = TEX[c];
    if (t) out += /^\\[a-zA-Z]+$/.test(t) ? `${t} ` : t;
    else if (item.g.bold && /\p{L}/u.test(c)) out += `\\mathbf{${c}}`;
    else out += c;
  }
  return out;
}

/**
 * Parentheses and brackets around something tall (an index, an exponent, a fraction) become
 * \left( ... \right), as a typesetter sizes them; around plain symbols they stay as they are.
 */
export function sizeDelimiters(tex: string): string {
  const tokens = tex.match(/\\[a-zA-Z]+|\\.|[\s\S]/g) ?? [];
  const open: Array<{ at: number; depth: number }> = [];
  const pairs: Array<[number, number]> = [];
  let depth = 0;
  tokens.forEach((t, i) => {
    if (t === "{") depth++;
    else if (t === "}") depth--;
    else if (t === "(" || t === "[") open.push({ at: i, depth });
    else if (t === ")" || t === "]") {
      const o = open.at(-1);
      if (o && o.depth === depth && (tokens[o.at] === "(") === (t === ")")) {
        open.pop();
        pairs.push([o.at, i]);
      }
    }
  });
  for (const [a, b] of pairs) {
    if (!tokens.slice(a + 1, b).some((t) => t === "_" || t === "^" || t === "\\frac")) continue;
    tokens[a] = `\\left${tokens[a]} `;
    tokens[b] = ` \\right${tokens[b]}`;
  }
  return tokens.join("").replace(/\s+/g, " ");
}

const join = (parts: string[]) => parts.join(" ").replace(/\s+/g, " ").replace(/ ([_^}])/g, "$1").trim();

/**
 * LaTeX of a set of glyph runs around a baseline. Runs on the baseline at (about) the base
 * size carry it; a smaller run raised or lowered next to one is its exponent or index; runs of
 * the base size over and under the baseline, overlapping each other, are a fraction; runs over
 * and under a big operator are its limits. Returns null when something is left unexplained (a
 * second line of text, not a formula).
 */
function setItems(items: Item[], depth = 0): string | null {
  if (items.length === 0) return "";
  if (depth > 6) return null;
  // The baseline: the one carrying the most characters at the largest non-operator size.
  const sized = items.filter((i) => !BIG_OP.test(i.text.trim()));
  const size = Math.max(...(sized.length ? sized : items).map((i) => i.size));
  const weight = new Map<number, number>();
  for (const i of items) if (i.size >= size * 0.8 && !BIG_OP.test(i.text.trim())) weight.set(Math.round(i.y), (weight.get(Math.round(i.y)) ?? 0) + i.text.length);
  let y0 = items[0]!.y;
  let best = -1;
  for (const [y, w] of weight) if (w > best || (w === best && Math.abs(y - items[0]!.y) < Math.abs(y0 - items[0]!.y))) [y0, best] = [y, w];
  const onBase = (i: Item) => (BIG_OP.test(i.text.trim()) ? Math.abs(i.y - y0) < size * 0.6 : Math.abs(i.y - y0) <= size * 0.12 && i.size >= size * 0.8);
  // An accent over a letter of a run on the line (û) marks that letter.
  const placed = attachAccents(items.filter(onBase));
  const base = placed.sort((a, b) => a.x0 - b.x0);
  const rest = items.filter((i) => !onBase(i));
  if (base.length === 0) return null;

  // Fractions: full-size runs well above and well below the baseline, one over the other.
  const stacked = rest.filter((i) => i.size >= size * 0.8 && Math.abs(i.y - y0) > size * 0.3);
  const overlapX = (a: { x0: number; x1: number }, b: { x0: number; x1: number }) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 0;
  interface Frac { x0: number; x1: number; num: Item[]; den: Item[] }
  const fracs: Frac[] = [];
  for (const s of stacked.sort((a, b) => a.x0 - b.x0)) {
    const f = fracs.find((f) => s.x0 <= f.x1 + size * 0.3 && s.x1 >= f.x0 - size * 0.3);
    const part = s.y < y0 ? "num" : "den";
    if (f) {
      f[part].push(s);
      f.x0 = Math.min(f.x0, s.x0);
      f.x1 = Math.max(f.x1, s.x1);
    } else fracs.push({ x0: s.x0, x1: s.x1, num: part === "num" ? [s] : [], den: part === "den" ? [s] : [] });
  }
  // Half a fraction is not one: a big delimiter drawn as a glyph over the line, say.
  const half = fracs.filter((f) => !f.num.length || !f.den.length);
  fracs.splice(0, fracs.length, ...fracs.filter((f) => !half.includes(f)));
  if (fracs.some((f) => base.some((b) => overlapX(b, { x0: f.x0 + 1, x1: f.x1 - 1 }) && !BIG_OP.test(b.text.trim())))) return null;
  // Small runs next to a numerator or denominator belong to it (ε₀ in a denominator).
  const small = rest.filter((i) => !fracs.some((f) => f.num.includes(i) || f.den.includes(i)));
  const loose: Item[] = [];
  for (const s of small) {
    let home: Item[] | null = null;
    for (const f of fracs) {
      for (const part of [f.num, f.den]) {
        const py = part[0]!.y;
        if (Math.abs(s.y - py) < Math.abs(s.y - y0) && s.x0 <= Math.max(...part.map((p) => p.x1)) + size * 0.4 && s.x1 >= Math.min(...part.map((p) => p.x0)) - size * 0.4) home = part;
      }
    }
    if (home) home.push(s);
    else loose.push(s);
  }

  // Scripts and limits: runs side by side on one side of the baseline form one script (ψ(gs),
  // g′), which goes to the base run it follows, or to the big operator it sits over or under.
  interface Slot { sub: Item[][]; sup: Item[][] }
  const slots = new Map<Item, Slot>();
  type Group = { side: "sub" | "sup" | "mid"; items: Item[]; x0: number; x1: number };
  let group: Group | null = null;
  const groups: Group[] = [];
  for (const s of loose.sort((a, b) => a.x0 - b.x0)) {
    const dy = s.y - y0;
    const side = dy < -size * 0.12 ? "sup" : dy > size * 0.05 ? "sub" : "mid";
    const gap = group ? s.x0 - group.x1 : Infinity;
    if (group && (side === "mid" || side === group.side || group.side === "mid") && gap <= size * 0.3) {
      group.items.push(s);
      group.x1 = Math.max(group.x1, s.x1);
      if (group.side === "mid") group.side = side;
    } else groups.push((group = { side, items: [s], x0: s.x0, x1: s.x1 }));
  }
  const hosts = new Map<Group, Item>();
  for (const g of groups) {
    const mid = (g.x0 + g.x1) / 2;
    const op = g.side !== "mid" ? base.find((b) => BIG_OP.test(b.text.trim()) && mid >= b.x0 - size * 0.3 && mid <= b.x1 + size * 0.3) : undefined;
    const host = op ?? [...base].reverse().find((b) => b.x0 < g.x0 + size * 0.2);
    if (!host) return null;
    hosts.set(g, host);
  }
  for (const g of groups) {
    // A prime on the baseline is an exponent all the same (f′).
    const side = g.side === "mid" ? (g.items.every((i) => /^[′″]$/.test(i.text.trim())) ? "sup" : null) : g.side;
    if (!side) return null;
    const host = hosts.get(g)!;
    const sl = slots.get(host) ?? (slots.set(host, { sub: [], sup: [] }), slots.get(host)!);
    sl[side].push(g.items);
  }

  const parts: Array<{ x: number; tex: string }> = [];
  for (const b of base) {
    let tex = texText(b);
    const sl = slots.get(b);
    if (sl) {
      const [sub, sup] = [sl.sub, sl.sup].map((gs) => {
        const set = gs.map((g) => setItems(g, depth + 1));
        return set.includes(null) ? null : set.join(" ");
      });
      if (sub === null || sup === null) return null;
      if (sub) tex += `_{${sub}}`;
      if (sup) tex += `^{${sup}}`;
    }
    parts.push({ x: b.x0, tex });
  }
  for (const f of fracs) {
    const num = setItems(f.num, depth + 1);
    const den = setItems(f.den, depth + 1);
    if (num === null || den === null) return null;
    parts.push({ x: f.x0, tex: `\\frac{${num}}{${den}}` });
  }
  parts.sort((a, b) => a.x - b.x);
  return join(parts.map((p) => p.tex));
}

/** Accent glyphs on the line, over a letter of another run, become that letter's accent. */
function attachAccents(items: Item[]): Item[] {
  const out = items.map((i) => ({ ...i }));
  for (const a of [...out]) {
    const cmd = ACCENT_CMD[a.text];
    if (!cmd || a.text.length !== 1) continue;
    const mid = (a.x0 + a.x1) / 2;
    const under = out.find((o) => o !== a && o.x0 <= mid && o.x1 >= mid && /\p{L}/u.test(o.text));
    if (!under) continue;
    const chars = [...under.text];
    const k = Math.min(chars.length - 1, Math.floor(((mid - under.x0) / (under.x1 - under.x0)) * chars.length));
    if (!/\p{L}/u.test(chars[k]!)) continue;
    under.accents = new Map(under.accents ?? []).set(k, cmd);
    out.splice(out.indexOf(a), 1);
  }
  return out;
}

export interface Formula {
  /** The runs of the formula, to be replaced by `run`. */
  members: Glyphs[];
  run: Glyphs;
}

/**
 * Formulas among a page's glyph runs. A formula is a cluster of runs that are not prose and
 * touch (side by side within an em, or stacked with their boxes close), holding a character
 * only formulas use, and set by setItems without anything left over. One with running text on
 * its baseline next to it is inline and kept only when it has structure (an index, an exponent,
 * a fraction): "x = 5" in a sentence reads as well as it is.
 */
export function findFormulas(glyphs: Glyphs[]): Formula[] {
  const runs: Item[] = [];
  const prose: Item[] = [];
  for (const g of glyphs) {
    if (!g.horizontal || g.size <= 0.5 || g.str.trim() === "") continue;
    const item = { g, text: g.str.trim(), x0: g.x, x1: g.x + g.width, y: g.y, size: g.size };
    (isProse(g.str) ? prose : runs).push(item);
  }
  if (!runs.some((r) => MATH_CHAR.test(r.text))) return [];
  // Clusters: union-find over runs that touch.
  const parent = runs.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const spaces = new Map<number, Glyphs[]>();
  for (const g of glyphs) if (g.horizontal && g.str.trim() === "" && g.width > 0) spaces.set(Math.round(g.y), [...(spaces.get(Math.round(g.y)) ?? []), g]);
  const spaceBetween = (r: Item, o: Item) =>
    [-1, 0, 1].some((d) => (spaces.get(Math.round(r.y) + d) ?? []).some((w) => Math.abs(w.y - r.y) < 0.2 * r.size && w.x <= r.x1 + 1 && w.x + w.width >= o.x0 - 1));
  const byX = runs.map((r, i) => [r, i] as const).sort((a, b) => a[0].x0 - b[0].x0);
  const tops = runs.map(top);
  const bottoms = runs.map(bottom);
  for (let a = 0; a < byX.length; a++) {
    const [r, i] = byX[a]!;
    for (let b = a + 1; b < byX.length; b++) {
      const [o, j] = byX[b]!;
      const em = Math.max(r.size, o.size);
      if (o.x0 > r.x1 + em * 3.5) break;
      // Stacked parts of one formula overlap or nearly touch (a limit under its operator); lines
      // of text have leading between them, even an index over the exponent of the next line.
      const gapY = Math.max(tops[i]!, tops[j]!) - Math.min(bottoms[i]!, bottoms[j]!);
      const small = Math.min(r.size, o.size);
      if (!(gapY <= 0 || (gapY <= Math.min(em * 0.15, small * 0.2) && em >= small * 1.15))) continue;
      // Side by side: within an em, or a few ems bridged by a space the PDF draws ("=   ∑").
      if (o.x0 > r.x1 + em && !(Math.abs(r.y - o.y) < 0.2 * small && spaceBetween(r, o))) continue;
      parent[find(j)] = find(i);
    }
  }
  const clusters = new Map<number, Item[]>();
  runs.forEach((r, i) => {
    const root = find(i);
    const list = clusters.get(root);
    if (list) list.push(r);
    else clusters.set(root, [r]);
  });

  const out: Formula[] = [];
  for (const items of clusters.values()) {
    // (Hundreds of runs touching each other are a dense table or a drawing, not one formula.)
    if (items.length > 300 || !items.some((i) => MATH_CHAR.test(i.text))) continue;
    const size = Math.max(...items.filter((i) => !BIG_OP.test(i.text)).map((i) => i.size), 0) || items[0]!.size;
    const y = median(items.filter((i) => i.size >= size * 0.8 && !BIG_OP.test(i.text)).map((i) => i.y));
    const inline = prose.some((p) => Math.abs(p.y - y) < size * 0.5 && p.x0 < Math.max(...items.map((i) => i.x1)) + size * 3 && p.x1 > Math.min(...items.map((i) => i.x0)) - size * 3);
    // Punctuation closing a sentence stays outside a formula inside the sentence.
    const last = items.reduce((a, b) => (b.x1 > a.x1 ? b : a));
    const body = inline && /^[.,;:]$/.test(last.text) ? items.filter((i) => i !== last) : items;
    const set = setItems(body);
    if (!set) continue;
    const tex = sizeDelimiters(set);
    const structured = /[_^]|\\frac/.test(tex);
    const x0 = Math.min(...body.map((i) => i.x0));
    const x1 = Math.max(...body.map((i) => i.x1));
    if (inline ? !structured : !structured && body.length < 2 && [...tex.matchAll(/\\[a-z]+|[=<>]/gi)].length < 2) continue;
    const g = body[0]!.g;
    out.push({
      members: body.map((i) => i.g),
      run: { ...g, str: inline ? `$${tex}$` : tex, x: x0, y, width: x1 - x0, size, bold: false, math: inline ? "inline" : "display" },
    });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

/** The glyph runs with each formula's runs replaced by the one run of its LaTeX. */
export function withFormulas(glyphs: Glyphs[]): Glyphs[] {
  const formulas = findFormulas(glyphs);
  if (formulas.length === 0) return glyphs;
  const gone = new Set(formulas.flatMap((f) => f.members));
  return [...glyphs.filter((g) => !gone.has(g)), ...formulas.map((f) => f.run)];
}
