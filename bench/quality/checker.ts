/**
 * The olmOCR-bench checker in TypeScript: the test types of `dataset.jsonl` / `blanks.jsonl`
 * (present, absent, order, table, math, baseline) scored on a page's markdown with the rules of
 * olmOCR-bench (allenai/olmocr, olmocr/bench/tests.py), reimplemented here:
 *
 * - text is normalised first (markdown bold/italic markers dropped, whitespace collapsed, NFC,
 *   typographic quotes and dashes made ASCII);
 * - present/absent: rapidfuzz-style `partial_ratio` (best InDel similarity of the query against
 *   any window of the page) compared with `1 - max_diffs / len(query)`; with max_diffs 0 that is
 *   an exact substring; a page much shorter than the query cannot contain it;
 * - order: every approximate occurrence (Levenshtein distance <= max_diffs) of `before` and of
 *   `after`; passes when some `before` starts before some `after`;
 * - table: markdown and HTML tables parsed into cell grids with up/down/left/right neighbours
 *   and heading walks (markdown: first row and first column are headings; HTML: th / thead);
 * - math: equations between \( \), \[ \], $$ $$, $ $; equal LaTeX passes, otherwise both sides
 *   are rendered to MathML by KaTeX and one's inner MathML must contain the other's;
 * - baseline: not blank, not ending in a long run of repeats, no CJK/emoji; a blank-page test
 *   (max_length) allows at most that many alphanumeric characters.
 *
 * Pure functions: no I/O beyond KaTeX (loaded lazily, only for math tests).
 */

export type TestType = "present" | "absent" | "order" | "table" | "math" | "baseline";
export const TEST_TYPES: TestType[] = ["present", "absent", "order", "table", "math", "baseline"];

export interface BenchTest {
  pdf: string;
  page: number;
  id: string;
  type: TestType;
  max_diffs?: number;
  checked?: string;
  // present / absent
  text?: string;
  case_sensitive?: boolean;
  first_n?: number;
  last_n?: number;
  // order
  before?: string;
  after?: string;
  // table
  cell?: string;
  up?: string;
  down?: string;
  left?: string;
  right?: string;
  top_heading?: string;
  left_heading?: string;
  ignore_markdown_tables?: boolean;
  // math
  math?: string;
  ignore_dollar_delimited?: boolean;
  // baseline
  max_length?: number;
  max_length_skips_image_alt_tags?: boolean;
  max_repeats?: number;
  check_disallowed_characters?: boolean;
}

export interface Outcome {
  passed: boolean;
  explanation: string;
}

// ---------------------------------------------------------------------------------------------
// Text normalisation

const REPLACEMENTS: Array<[string, string]> = [
  ["\u2018", "'"],
  ["\u2019", "'"],
  ["\u201a", "'"],
  ["\u201c", '"'],
  ["\u201d", '"'],
  ["\u201e", '"'],
  ["\uff3f", "_"],
  ["\u2013", "-"],
  ["\u2014", "-"],
  ["\u2011", "-"],
  ["\u2012", "-"],
  ["\u2212", "-"],
  ["\u00b5", "\u03bc"],
];

/** olmOCR-bench's normalize_text: the same steps in the same order. */
export function normalizeText(md: string): string {
  let s = md.replace(/<br\/?>/g, " ");
  s = s.replace(/\*\*(.*?)\*\*/g, "$1");
  s = s.replace(/__(.*?)__/g, "$1");
  s = s.replace(/<\/?b>/g, "");
  s = s.replace(/<\/?i>/g, "");
  s = s.replace(/(\*\*|__)(.*?)\1/g, "$2");
  s = s.replace(/(\*|_)(.*?)\1/g, "$2");
  s = s.replace(/\s+/g, " ");
  s = s.normalize("NFC");
  for (const [from, to] of REPLACEMENTS) s = s.split(from).join(to);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Fuzzy matching (lengths and positions in code points, as Python counts them)

const codePoints = (s: string): Int32Array => Int32Array.from(Array.from(s, (c) => c.codePointAt(0)!));

/** Length of the longest common subsequence of a and b[from, from + len). */
function lcs(a: Int32Array, b: Int32Array, from: number, len: number, row: Int32Array): number {
  // row[j] = LCS(a[0..i), b[from..from+j)); one row, updated in place with the diagonal kept aside.
  row.fill(0, 0, len + 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    let diag = 0;
    for (let j = 1; j <= len; j++) {
      const up = row[j]!;
      row[j] = b[from + j - 1] === ai ? diag + 1 : Math.max(up, row[j - 1]!);
      diag = up;
    }
  }
  return row[len]!;
}

/** rapidfuzz fuzz.ratio / 100: normalised InDel similarity, 2 * LCS / (|a| + |b|). */
export function ratio(a: string, b: string): number {
  const x = codePoints(a);
  const y = codePoints(b);
  if (x.length + y.length === 0) return 1;
  const row = new Int32Array(y.length + 1);
  return (2 * lcs(x, y, 0, y.length, row)) / (x.length + y.length);
}

/**
 * rapidfuzz fuzz.partial_ratio / 100: the shorter string against every window of the longer of
 * the same length (and the shorter windows sliding in at the start and out at the end), best
 * InDel similarity. Windows that cannot beat the best so far (their character counts bound the
 * LCS) are skipped, which keeps long pages fast without changing the result.
 */
export function partialRatio(a: string, b: string): number {
  let needle = codePoints(a);
  let hay = codePoints(b);
  if (needle.length > hay.length) [needle, hay] = [hay, needle];
  const m = needle.length;
  const n = hay.length;
  if (m === 0) return n === 0 ? 1 : 0;
  // Alphabet of the needle, for the character-count bound.
  const index = new Map<number, number>();
  for (const c of needle) if (!index.has(c)) index.set(c, index.size);
  const want = new Int32Array(index.size);
  for (const c of needle) want[index.get(c)!]!++;
  const have = new Int32Array(index.size);
  const row = new Int32Array(m + 1);
  let best = 0;
  const tryWindow = (from: number, len: number) => {
    have.fill(0);
    let overlap = 0;
    for (let k = from; k < from + len; k++) {
      const i = index.get(hay[k]!);
      if (i !== undefined && have[i]! < want[i]!) {
        have[i]!++;
        overlap++;
      }
    }
    if ((2 * overlap) / (m + len) <= best) return;
    best = Math.max(best, (2 * lcs(needle, hay, from, len, row)) / (m + len));
  };
  // Exact occurrence: nothing can do better.
  if (indexOfSeq(hay, needle) >= 0) return 1;
  for (let from = 0; from + m <= n && best < 1; from++) tryWindow(from, m);
  for (let len = 1; len < m && best < 1; len++) {
    tryWindow(0, len);
    tryWindow(n - len, len);
  }
  return best;
}

function indexOfSeq(hay: Int32Array, needle: Int32Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Start positions (code points) of every substring of `text` within Levenshtein distance
 * `maxDist` of `pattern` (fuzzysearch's find_near_matches, without merging overlapping matches).
 * Sellers' algorithm run on the reversed strings, so that match ends there are starts here.
 */
export function nearMatchStarts(pattern: string, text: string, maxDist: number): number[] {
  const p = codePoints(pattern).reverse();
  const t = codePoints(text).reverse();
  const m = p.length;
  const n = t.length;
  if (m === 0) return [];
  if (maxDist === 0) {
    const starts: number[] = [];
    const fwdP = p.slice().reverse();
    const fwdT = t.slice().reverse();
    outer: for (let i = 0; i + m <= n; i++) {
      for (let j = 0; j < m; j++) if (fwdT[i + j] !== fwdP[j]) continue outer;
      starts.push(i);
    }
    return starts;
  }
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let i = 0; i <= m; i++) prev[i] = i;
  const starts: number[] = [];
  for (let j = 0; j < n; j++) {
    cur[0] = 0;
    const c = t[j]!;
    for (let i = 1; i <= m; i++) {
      const sub = prev[i - 1]! + (p[i - 1] === c ? 0 : 1);
      cur[i] = Math.min(sub, prev[i]! + 1, cur[i - 1]! + 1);
    }
    if (cur[m]! <= maxDist) starts.push(n - 1 - j);
    [prev, cur] = [cur, prev];
  }
  return starts.sort((x, y) => x - y);
}

// ---------------------------------------------------------------------------------------------
// Tables

export interface TableData {
  /** "row,col" -> text; a spanning cell is stored once, at its top-left slot. */
  cells: Map<string, string>;
  headings: Set<string>;
  up: Map<string, Set<string>>;
  down: Map<string, Set<string>>;
  left: Map<string, Set<string>>;
  right: Map<string, Set<string>>;
}

interface CellSpec {
  text: string;
  rowspan: number;
  colspan: number;
  heading: boolean;
}

const key = (r: number, c: number) => `${r},${c}`;

/** Lays cells with row/col spans on a grid and records each cell's neighbours in four directions. */
export function buildTable(rows: CellSpec[][]): TableData | null {
  const cells = new Map<string, string>();
  const headings = new Set<string>();
  const meta = new Map<string, { r: number; c: number; rs: number; cs: number }>();
  const grid: Array<Array<string | null>> = [];
  let active: Array<{ id: string; left: number } | null> = [];
  rows.forEach((specs, r) => {
    const line: Array<string | null> = [];
    let col = 0;
    let s = 0;
    while (s < specs.length || col < active.length) {
      const span = active[col];
      if (col < active.length && span) {
        line.push(span.id);
        active[col] = span.left > 1 ? { id: span.id, left: span.left - 1 } : null;
        col++;
        continue;
      }
      if (s >= specs.length) {
        line.push(null);
        col++;
        continue;
      }
      const spec = specs[s++]!;
      const rs = Math.max(1, spec.rowspan);
      const cs = Math.max(1, spec.colspan);
      const id = key(r, col);
      cells.set(id, spec.text);
      if (spec.heading) headings.add(id);
      meta.set(id, { r, c: col, rs, cs });
      while (active.length < col + cs) active.push(null);
      for (let k = 0; k < cs; k++) {
        line.push(id);
        active[col + k] = rs > 1 ? { id, left: rs - 1 } : null;
      }
      col += cs;
    }
    grid.push(line);
  });
  while (active.some((a) => a)) {
    grid.push(
      active.map((span) => {
        if (!span) return null;
        return span.id;
      }),
    );
    active = active.map((span) => (span && span.left > 1 ? { id: span.id, left: span.left - 1 } : null));
  }
  if (cells.size === 0) return null;
  let width = 0;
  for (const line of grid) line.forEach((v, i) => v !== null && (width = Math.max(width, i + 1)));
  if (width === 0) return null;
  for (const line of grid) {
    while (line.length < width) line.push(null);
    line.length = width;
  }
  const height = grid.length;
  const rel = () => new Map<string, Set<string>>([...cells.keys()].map((id) => [id, new Set<string>()]));
  const up = rel();
  const down = rel();
  const left = rel();
  const right = rel();
  for (const [id, { r, c, rs, cs }] of meta) {
    const scan = (target: Map<string, Set<string>>, rowsToScan: number[], step: (row: number) => Iterable<[number, number]>) => {
      for (const row of rowsToScan) {
        for (const [rr, cc] of step(row)) {
          const other = grid[rr]?.[cc] ?? null;
          if (other === null || other === id) continue;
          target.get(id)!.add(other);
          break;
        }
      }
    };
    const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
    scan(right, range(r, r + rs), function* (row) {
      for (let cc = c + cs; cc < width; cc++) yield [row, cc];
    });
    scan(left, range(r, r + rs), function* (row) {
      for (let cc = c - 1; cc >= 0; cc--) yield [row, cc];
    });
    scan(down, range(c, c + cs), function* (col) {
      for (let rr = r + rs; rr < height; rr++) yield [rr, col];
    });
    scan(up, range(c, c + cs), function* (col) {
      for (let rr = r - 1; rr >= 0; rr--) yield [rr, col];
    });
  }
  return { cells, headings, up, down, left, right };
}

/** Walks a relation from a cell: the heading cells met on the way, or else the cells at the end. */
function walkHeadings(t: TableData, start: string, relation: Map<string, Set<string>>): Set<string> {
  const headingsMet = new Set<string>();
  const ends = new Set<string>();
  const visited = new Set<string>();
  const toVisit = [start];
  while (toVisit.length) {
    const cur = toVisit.pop()!;
    if (visited.has(cur)) continue;
    visited.add(cur);
    if (t.headings.has(cur)) headingsMet.add(cur);
    const next = relation.get(cur);
    if (!next || next.size === 0) ends.add(cur);
    else for (const n of next) if (!visited.has(n)) toVisit.push(n);
  }
  headingsMet.delete(start);
  ends.delete(start);
  return headingsMet.size ? headingsMet : ends;
}

/** Markdown pipe tables: runs of >= 2 lines containing "|"; the first row and first column are headings. */
export function parseMarkdownTables(md: string): TableData[] {
  const lines = md.trim().split("\n");
  const out: TableData[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length >= 2) {
      const rows = tableRows(current);
      if (rows.length) {
        const t = buildTable(rows.map((cells, r) => cells.map((text, c) => ({ text, rowspan: 1, colspan: 1, heading: r === 0 || c === 0 }))));
        if (t) out.push(t);
      }
    }
    current = [];
  };
  for (const line of lines) {
    if (line.includes("|")) current.push(line);
    else flush();
  }
  flush();
  return out;
}

function tableRows(lines: string[]): string[][] {
  const separator = lines.findIndex((l) => {
    const rest = l.replace(/\|/g, "").trim();
    return rest !== "" && /^[- :]+$/.test(rest);
  });
  const rows: string[][] = [];
  lines.forEach((line, i) => {
    if (i === separator) return;
    if (line.trim() && /^[- :|]+$/.test(line)) return;
    let cells = line.split("|").map((c) => c.trim());
    if (cells.length && cells[0] === "") cells = cells.slice(1);
    if (cells.length && cells[cells.length - 1] === "") cells = cells.slice(0, -1);
    if (cells.length) rows.push(cells);
  });
  return rows;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };
const decodeEntities = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });

/** HTML tables: th cells and cells in thead are headings; rowspan / colspan honoured; <br> is a newline. */
export function parseHtmlTables(html: string): TableData[] {
  interface Open {
    rows: CellSpec[][];
    inHead: boolean;
    cell: (CellSpec & { raw: string[] }) | null;
    rawRowspans: Array<Array<string | undefined>>;
  }
  const out: TableData[] = [];
  const stack: Open[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)|(<)/g;
  const attr = (attrs: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*["']?([^"'\\s>]*)`, "i").exec(attrs)?.[1];
  const span = (v: string | undefined) => {
    const n = v === undefined ? NaN : parseInt(v, 10);
    return Number.isFinite(n) && n > 0 ? n : 1;
  };
  const closeCell = (t: Open) => {
    if (!t.cell) return;
    t.cell.text = decodeEntities(t.cell.raw.join("")).trim();
    t.cell = null;
  };
  const finish = (t: Open) => {
    closeCell(t);
    const total = t.rows.length;
    t.rows.forEach((row, r) =>
      row.forEach((cell, c) => {
        if (t.rawRowspans[r]?.[c]?.trim() === "0") cell.rowspan = Math.max(1, total - r);
      }),
    );
    const rows = t.rows;
    if (rows.length) {
      const data = buildTable(rows.map((r) => r.map(({ text, rowspan, colspan, heading }) => ({ text, rowspan, colspan, heading }))));
      if (data) out.push(data);
    }
  };
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const t = stack[stack.length - 1];
    const text = m[4] ?? m[5];
    if (text !== undefined) {
      for (const open of stack) if (open.cell) open.cell.raw.push(text);
      continue;
    }
    const closing = m[1] === "/";
    const name = m[2]!.toLowerCase();
    if (name === "br") {
      for (const open of stack) if (open.cell) open.cell.raw.push("\n");
      continue;
    }
    if (name === "table") {
      if (!closing) stack.push({ rows: [], inHead: false, cell: null, rawRowspans: [] });
      else if (t) finish(stack.pop()!);
      continue;
    }
    if (!t) continue;
    if (name === "thead") {
      t.inHead = !closing;
    } else if (name === "tr") {
      closeCell(t);
      if (!closing) {
        t.rows.push([]);
        t.rawRowspans.push([]);
      }
    } else if (name === "td" || name === "th") {
      closeCell(t);
      if (!closing) {
        if (!t.rows.length) {
          t.rows.push([]);
          t.rawRowspans.push([]);
        }
        const attrs = m[3] ?? "";
        t.cell = { text: "", raw: [], rowspan: span(attr(attrs, "rowspan")), colspan: span(attr(attrs, "colspan")), heading: name === "th" || t.inHead };
        t.rows[t.rows.length - 1]!.push(t.cell);
        t.rawRowspans[t.rawRowspans.length - 1]!.push(attr(attrs, "rowspan"));
      }
    }
  }
  while (stack.length) finish(stack.pop()!);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Math

type Katex = typeof import("katex").default;
let katex: Katex | null = null;
const renderCache = new Map<string, string | null>();

/** Inner MathML of KaTeX's rendering (inside <semantics>, without the annotation), whitespace removed; null if KaTeX rejects it. */
export async function renderMath(latex: string): Promise<string | null> {
  if (renderCache.has(latex)) return renderCache.get(latex)!;
  katex ??= (await import("katex")).default;
  let inner: string | null;
  try {
    const html = katex.renderToString(latex, { output: "mathml", displayMode: true, throwOnError: true });
    const start = html.indexOf("<semantics>");
    const end = html.indexOf("<annotation");
    const math = start >= 0 && end > start ? html.slice(start + "<semantics>".length, end) : html;
    inner = math.replace(/\s+/g, "");
  } catch {
    inner = null;
  }
  renderCache.set(latex, inner);
  return inner;
}

/** The equations of a page, in olmOCR's order: \( \), \[ \], then (unless ignored) $$ $$ and $ $. */
export function extractEquations(content: string, ignoreDollars = false): string[] {
  const patterns = [/\\\((.+?)\\\)/gs, /\\\[(.+?)\\\]/gs];
  if (!ignoreDollars) patterns.push(/\$\$(.+?)\$\$/gs, /\$(.+?)\$/gs);
  const out: string[] = [];
  let rest = content;
  for (const p of patterns) {
    for (const m of rest.matchAll(p)) out.push(m[1]!.trim());
    rest = rest.replace(p, "");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The tests

function presence(test: BenchTest, md: string): Outcome {
  const maxDiffs = test.max_diffs ?? 0;
  let query = normalizeText(test.text ?? "");
  let content = normalizeText(md);
  if (test.case_sensitive === false) {
    query = query.toLowerCase();
    content = content.toLowerCase();
  }
  const chars = Array.from(content);
  if (test.first_n && test.last_n) content = chars.slice(0, test.first_n).join("") + chars.slice(-test.last_n).join("");
  else if (test.first_n) content = chars.slice(0, test.first_n).join("");
  else if (test.last_n) content = chars.slice(-test.last_n).join("");
  const qlen = Array.from(query).length;
  const clen = Array.from(content).length;
  const short = query.length > 40 ? `${query.slice(0, 40)}...` : query;
  if (clen < qlen - maxDiffs) {
    if (test.type === "present") return { passed: false, explanation: `page too short (${clen} chars) to contain '${short}'` };
    return { passed: true, explanation: "" };
  }
  const threshold = 1 - maxDiffs / (qlen || 1);
  const best = partialRatio(query, content);
  if (test.type === "present") {
    return best >= threshold ? { passed: true, explanation: "" } : { passed: false, explanation: `'${short}' not found (best match ${best.toFixed(3)}, needed ${threshold.toFixed(3)})` };
  }
  return best < threshold ? { passed: true, explanation: "" } : { passed: false, explanation: `'${short}' is present (match ${best.toFixed(3)})` };
}

function order(test: BenchTest, md: string): Outcome {
  const content = normalizeText(md);
  const before = normalizeText(test.before ?? "");
  const after = normalizeText(test.after ?? "");
  const d = test.max_diffs ?? 0;
  const b = nearMatchStarts(before, content, d);
  const a = nearMatchStarts(after, content, d);
  if (!b.length) return { passed: false, explanation: `'before' text '${before.slice(0, 40)}...' not found` };
  if (!a.length) return { passed: false, explanation: `'after' text '${after.slice(0, 40)}...' not found` };
  if (b[0]! < a[a.length - 1]!) return { passed: true, explanation: "" };
  return { passed: false, explanation: `'${before.slice(0, 40)}...' does not appear before '${after.slice(0, 40)}...'` };
}

function table(test: BenchTest, md: string): Outcome {
  const d = test.max_diffs ?? 0;
  const cell = normalizeText(test.cell ?? "");
  const threshold = Math.max(0.5, 1 - d / (Array.from(cell).length || 1));
  const tables = [...(test.ignore_markdown_tables ? [] : parseMarkdownTables(md)), ...parseHtmlTables(md)];
  if (!tables.length) return { passed: false, explanation: "no table on the page" };
  const reasons: string[] = [];
  const relations: Array<[keyof BenchTest, (t: TableData, id: string) => Iterable<string>]> = [
    ["up", (t, id) => t.up.get(id) ?? []],
    ["down", (t, id) => t.down.get(id) ?? []],
    ["left", (t, id) => t.left.get(id) ?? []],
    ["right", (t, id) => t.right.get(id) ?? []],
    ["left_heading", (t, id) => walkHeadings(t, id, t.left)],
    ["top_heading", (t, id) => walkHeadings(t, id, t.up)],
  ];
  for (const t of tables) {
    const matches = [...t.cells].filter(([, text]) => ratio(cell, normalizeText(text)) >= threshold).map(([id]) => id);
    for (const id of matches) {
      let ok = true;
      for (const [field, neighbours] of relations) {
        const want = normalizeText((test[field] as string | undefined) ?? "");
        if (!want) continue;
        const need = Math.max(0.5, 1 - d / (Array.from(want).length || 1));
        let best = 0;
        let bestText = "";
        for (const other of neighbours(t, id)) {
          const text = normalizeText(t.cells.get(other) ?? "");
          const r = ratio(want, text);
          if (r > best) [best, bestText] = [r, text];
        }
        if (best < need) {
          ok = false;
          reasons.push(`${field} of '${cell}' is '${bestText}', expected '${want}'`);
        }
      }
      if (ok) return { passed: true, explanation: "" };
    }
  }
  return { passed: false, explanation: reasons.length ? reasons.slice(0, 3).join("; ") : `no cell '${cell}' in any table` };
}

async function math(test: BenchTest, md: string): Promise<Outcome> {
  const ref = test.math ?? "";
  const equations = extractEquations(md, test.ignore_dollar_delimited);
  if (equations.some((e) => e === ref)) return { passed: true, explanation: "" };
  const refRender = await renderMath(ref);
  if (refRender === null) return { passed: false, explanation: `reference '${ref}' does not render` };
  equations.sort((x, y) => ratio(y, ref) - ratio(x, ref));
  for (const e of equations) {
    const hyp = await renderMath(e);
    if (hyp === null) continue;
    const [needle, hay] = hyp.length > refRender.length ? [refRender, hyp] : [hyp, refRender];
    if (hay.includes(needle)) return { passed: true, explanation: "" };
  }
  return { passed: false, explanation: equations.length ? `no equation renders like '${ref}' (${equations.length} on the page)` : "no equation on the page" };
}

// CJK ideographs, hiragana, katakana, emoji.
const DISALLOWED = /[\u4e00-\u9fff\u3040-\u309f\u30a0-\u30ff\u{1F600}-\u{1F64F}\u{1F300}-\u{1F5FF}\u{1F680}-\u{1F6FF}\u{1F1E0}-\u{1F1FF}]/u;

/** For each n-gram size 1..max, how many times the last n-gram repeats back to back at the end. */
export function ngramRepeats(data: string, maxSize: number): number[] {
  const chars = Array.from(data);
  const out: number[] = [];
  for (let size = 1; size <= maxSize; size++) {
    if (chars.length < size) {
      out.push(0);
      continue;
    }
    const target = chars.slice(-size).join("");
    let count = 0;
    for (let pos = chars.length - size; pos >= 0 && chars.slice(pos, pos + size).join("") === target; pos -= size) count++;
    out.push(count);
  }
  return out;
}

function baseline(test: BenchTest, md: string): Outcome {
  const alnum = (s: string) => (s.match(/[\p{L}\p{N}]/gu) ?? []).length;
  if (test.max_length !== undefined && test.max_length !== null) {
    const text = test.max_length_skips_image_alt_tags ? md.replace(/!\[.*?\]\(.*?\)/g, "") : md;
    const n = alnum(text);
    return n > test.max_length ? { passed: false, explanation: `${n} characters on a page expected to be blank` } : { passed: true, explanation: "" };
  }
  if (alnum(md) === 0) return { passed: false, explanation: "no alphanumeric characters" };
  const maxRepeats = test.max_repeats ?? 30;
  const repeats = ngramRepeats(md, 5);
  const i = repeats.findIndex((c) => c > maxRepeats);
  if (i >= 0) return { passed: false, explanation: `ends with ${repeats[i]} repeats of a ${i + 1}-gram` };
  if (test.check_disallowed_characters !== false) {
    const bad = md.match(new RegExp(DISALLOWED.source, "gu"));
    if (bad) return { passed: false, explanation: `disallowed characters ${[...new Set(bad)].slice(0, 5).join("")}` };
  }
  return { passed: true, explanation: "" };
}

/** Runs one test on one page's markdown. */
export async function runTest(test: BenchTest, md: string): Promise<Outcome> {
  switch (test.type) {
    case "present":
    case "absent":
      return presence(test, md);
    case "order":
      return order(test, md);
    case "table":
      return table(test, md);
    case "math":
      return math(test, md);
    case "baseline":
      return baseline(test, md);
    default:
      return { passed: false, explanation: `unknown test type ${(test as BenchTest).type}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Loading and scoring

/** Tests of a JSONL file (blank lines skipped); throws on a line that is not a valid test. */
export function parseTests(jsonl: string, source: string): Array<BenchTest & { source: string }> {
  const out: Array<BenchTest & { source: string }> = [];
  jsonl.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const t = JSON.parse(line) as BenchTest;
    if (!t.pdf || !t.id || !TEST_TYPES.includes(t.type)) throw new Error(`${source}:${i + 1}: not a test: ${line.slice(0, 80)}`);
    if ((t.type === "present" || t.type === "absent") && !normalizeText(t.text ?? "").trim()) throw new Error(`${source}:${i + 1}: empty text`);
    if (t.type === "order" && (!t.before?.trim() || !t.after?.trim())) throw new Error(`${source}:${i + 1}: empty before/after`);
    out.push({ ...t, page: t.page ?? 1, source });
  });
  return out;
}

/** As olmOCR-bench does: every PDF without a baseline test gets one on its first page. */
export function withBaselines<T extends BenchTest & { source: string }>(tests: T[], pdfs: string[]): Array<T | (BenchTest & { source: string })> {
  const out: Array<T | (BenchTest & { source: string })> = [...tests];
  for (const pdf of pdfs) {
    if (!tests.some((t) => t.pdf === pdf && t.type === "baseline")) out.push({ pdf, page: 1, id: `${pdf}_baseline`, type: "baseline", source: "baseline" });
  }
  return out;
}

export interface TestResult {
  test: BenchTest & { source: string };
  passed: boolean;
  explanation: string;
}

/**
 * Scores a candidate: `pages(pdf, page)` gives the markdown of each repeat of that page (null if
 * the page is missing). A test passes when more than half its repeats pass.
 */
export async function scoreCandidate(tests: Array<BenchTest & { source: string }>, pages: (pdf: string, page: number) => string[] | null): Promise<TestResult[]> {
  const out: TestResult[] = [];
  for (const test of tests) {
    const repeats = pages(test.pdf, test.page);
    if (!repeats || repeats.length === 0) {
      out.push({ test, passed: false, explanation: "page missing" });
      continue;
    }
    let passes = 0;
    let explanation = "";
    for (const md of repeats) {
      const r = await runTest(test, md);
      if (r.passed) passes++;
      else explanation ||= r.explanation;
    }
    out.push({ test, passed: passes / repeats.length > 0.5, explanation });
  }
  return out;
}

export interface Summary {
  byType: Record<string, { passed: number; total: number }>;
  passed: number;
  total: number;
  /** olmOCR-bench's headline: the mean over source files (dataset, blanks, baseline) of each file's pass rate. */
  perFileMean: number;
}

export function summarise(results: TestResult[]): Summary {
  const byType: Record<string, { passed: number; total: number }> = {};
  const bySource = new Map<string, { passed: number; total: number }>();
  for (const r of results) {
    const t = (byType[r.test.type] ??= { passed: 0, total: 0 });
    t.total++;
    if (r.passed) t.passed++;
    const s = bySource.get(r.test.source) ?? { passed: 0, total: 0 };
    s.total++;
    if (r.passed) s.passed++;
    bySource.set(r.test.source, s);
  }
  const files = [...bySource.values()];
  return {
    byType,
    passed: results.filter((r) => r.passed).length,
    total: results.length,
    perFileMean: files.length ? files.reduce((a, s) => a + s.passed / s.total, 0) / files.length : 0,
  };
}
