/**
 * Text layer -> reading order -> typed blocks -> markdown. Pure geometry, no pdfjs: positions are
 * in PDF points with the origin at the top-left of the page and y growing downwards.
 *
 * Steps: glyph runs -> segments (runs on one baseline without a wide gap, so the two halves of
 * a two-column line stay apart) -> regions in reading order (column gutters found from the x
 * coverage of segments; segments crossing a gutter, like a title, cut the columns into bands)
 * -> lines -> blocks by spacing, size, indentation and list markers -> markdown.
 */
import type { BlockType, Box } from "./index";
import { withFormulas } from "./math";

export interface Glyphs {
  str: string;
  x: number;
  /** Baseline. */
  y: number;
  width: number;
  /** Font size in points. */
  size: number;
  horizontal: boolean;
  /**
   * Direction the run reads in, in degrees counter-clockwise as seen on the page (0: left to
   * right, 90: bottom to top). Absent: 0 when `horizontal`, else the run is not read.
   */
  angle?: number;
  bold: boolean;
  font: string;
  /** A formula set in LaTeX by ./math.ts: alone on its line (display) or inside a sentence. */
  math?: "display" | "inline";
  /**
   * Drawn inside `/Artifact` marked content: a tagged PDF's own word that this run is not part
   * of the document's content (running heads, footers, page numbers, in the PDF's terms).
   */
  artifact?: boolean;
}

export interface PageSignals {
  /** Text-showing operators drawn visibly / invisibly (render mode 3: an OCR layer). */
  visibleText: number;
  invisibleText: number;
  images: number;
}

export interface LaidBlock {
  type: BlockType;
  text: string;
  bounds: Box;
  level?: number;
}

interface Seg {
  x0: number;
  x1: number;
  y: number;
  size: number;
  bold: boolean;
  text: string;
  /** A display formula: its own block, `$$...$$`, never a table cell or a heading. */
  math?: boolean;
  /** Right-to-left text: a line of such segments reads from the right. */
  rtl?: boolean;
  /** Every run of it was marked as an artifact by a tagged PDF (see Glyphs.artifact). */
  artifact?: boolean;
}

interface Line extends Seg {
  cells: Seg[];
}

const median = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const top = (s: Seg) => s.y - s.size * 0.8;
const bottom = (s: Seg) => s.y + s.size * 0.25;

/** Joins two pieces of text on one line, adding a space when the gap between them is one. */
function joinRun(a: string, b: string, gap: number, size: number): string {
  if (a.endsWith(" ") || b.startsWith(" ") || gap < size * 0.12) return a + b;
  return `${a} ${b}`;
}

/** Glyph runs -> segments: same baseline, no gap wider than about one em. */
function toSegments(glyphs: Glyphs[], rtlPage = false): Seg[] {
  const runs = glyphs.filter((g) => g.horizontal && g.size > 0.5 && g.str.trim() !== "");
  runs.sort((a, b) => a.y - b.y || a.x - b.x);
  const rows: Glyphs[][] = [];
  for (const g of runs) {
    const row = rows[rows.length - 1];
    // Superscripts and subscripts sit within ~0.4 em of the baseline and join the row.
    const [small, big] = [Math.min(g.size, row?.[0]!.size ?? 0), Math.max(g.size, row?.[0]!.size ?? 0)];
    // (A drop cap, far bigger than the text, must not swallow the lines beside it.)
    if (row && Math.abs(g.y - row[0]!.y) < 0.5 * (big > small * 1.8 ? small : big)) row.push(g);
    else rows.push([g]);
  }
  mergeScripts(rows);
  const segs: Seg[] = [];
  for (let row of rows) {
    if (row.length === 0) continue;
    row.sort((a, b) => a.x - b.x);
    row = readOverprintOnce(row);
    let cur: OpenSeg | null = null;
    for (const g of row) {
      const gap = cur ? g.x - cur.x1 : Infinity;
      const chars = g.str.trim().length;
      // Fake bold (the same run printed twice, slightly offset) shows as overlapping duplicates.
      if (cur && gap < -0.5 * g.width && cur.text.endsWith(g.str.trim())) continue;
      // A drop cap stays a segment of its own: cleanSegments glues it to the line it starts.
      const dropCap = cur && (isDropCap(cur.text, cur.size, g.size) || isDropCap(g.str, g.size, cur.size));
      // A display formula is a segment of its own, and so is whatever stands beside it.
      const formula = g.math === "display" || cur?.math;
      if (cur && !dropCap && !formula && gap < Math.max(g.size, cur.size) * 0.9) {
        cur.text = joinRun(cur.text, g.str, gap, g.size);
        cur.pieces.push(g);
        cur.x1 = Math.max(cur.x1, g.x + g.width);
        cur.sizes.set(g.size, (cur.sizes.get(g.size) ?? 0) + chars);
        cur.n += chars;
        if (g.bold) cur.boldChars += chars;
      } else {
        if (cur) segs.push(finishSeg(cur, rtlPage));
        cur = { x0: g.x, x1: g.x + g.width, y: row[0]!.y, size: g.size, bold: false, text: g.str, n: chars, boldChars: g.bold ? chars : 0, sizes: new Map([[g.size, chars]]), pieces: [g], ...(g.math === "display" ? { math: true } : {}) };
      }
    }
    if (cur) segs.push(finishSeg(cur, rtlPage));
  }
  return segs;
}

/**
 * Fake bold: some producers draw every glyph two or three times, a fraction of a point apart.
 * pdfjs then cuts the row into runs that overlap ("T", "Te", "es", "st", "t"), which read in
 * order give every character k times ("TTeesstt"). A chain of runs each starting well inside
 * the one before it (by more than a tenth of an em, far more than kerning) is read once when
 * its text is some text with every character repeated k times, or printed k times over; text
 * before or after the overprint in the chain's first or last run is kept as it is.
 */
function readOverprintOnce(row: Glyphs[]): Glyphs[] {
  const out: Glyphs[] = [];
  for (let i = 0; i < row.length; ) {
    let j = i + 1;
    let end = row[i]!.x + row[i]!.width;
    while (j < row.length && row[j]!.x < end - 0.1 * row[j]!.size) {
      end = Math.max(end, row[j]!.x + row[j]!.width);
      j++;
    }
    const once = j - i >= 2 ? overprintOnce(row.slice(i, j).map((g) => g.str)) : null;
    if (once !== null) out.push({ ...row[i]!, str: once, width: end - row[i]!.x, bold: true });
    else out.push(...row.slice(i, j));
    i = j;
  }
  return out;
}

/** The text of overlapping runs read once, or null when they are not one text printed over itself. */
function overprintOnce(runs: string[]): string | null {
  const first = runs[0]!;
  const last = runs.at(-1)!;
  const middle = runs.slice(1, -1).join("");
  if (first.length + middle.length + last.length > 400) return null;
  for (let q = 1; q <= last.length; q++) {
    for (let p = first.length - 1; p >= 0; p--) {
      const once = repeatedOnce(first.slice(p) + middle + last.slice(0, q));
      if (once !== null) return first.slice(0, p) + once + last.slice(q);
    }
  }
  return null;
}

/** "TTeesstt" -> "Test", "TestTest" -> "Test" (k = 2 or 3), else null. Spaces are not counted. */
export function repeatedOnce(text: string): string | null {
  const t = text.replace(/\s+/g, " ");
  for (const k of [3, 2]) {
    const n = t.length / k;
    if (Number.isInteger(n) && n > 0 && t.slice(0, n).repeat(k) === t) return t.slice(0, n);
    let out = "";
    let ok = /\S/.test(t);
    for (const m of t.matchAll(/ +|(.)\1*/gsu)) {
      if (m[0].startsWith(" ")) out += " ";
      else if ([...m[0]].length % k === 0) out += m[1]!.repeat([...m[0]].length / k);
      else ok = false;
      if (!ok) break;
    }
    if (ok) return out;
  }
  return null;
}

const isDropCap = (text: string, size: number, other: number) => size > other * 1.8 && /^\p{Lu}$/u.test(text.trim());

/**
 * Rows of a few small glyphs raised above (footnote markers, exponents) or lowered below
 * (indices) a line of larger text join that line, so "people.1" is not a paragraph of its own
 * between two lines.
 */
function mergeScripts(rows: Glyphs[][]): void {
  const extent = (r: Glyphs[]) => [Math.min(...r.map((g) => g.x)), Math.max(...r.map((g) => g.x + g.width))] as const;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const chars = r.reduce((n, g) => n + g.str.trim().length, 0);
    if (r.length === 0 || chars > 8) continue;
    const size = Math.max(...r.map((g) => g.size));
    const [x0, x1] = extent(r);
    const y = r[0]!.y;
    const host = rows.find((o, j) => {
      if (j === i || o.length === 0) return false;
      const big = median(o.map((g) => g.size));
      if (size > big * 0.8) return false;
      const dy = o[0]!.y - y; // > 0: the small row is above the line's baseline
      if (!(dy > 0 && dy <= big * 0.75) && !(dy < 0 && dy >= -big * 0.4)) return false;
      const [ox0, ox1] = extent(o);
      return x0 >= ox0 - big && x1 <= ox1 + big * 2;
    });
    if (!host) continue;
    host.push(...r.map((g) => ({ ...g, y: host[0]!.y })));
    r.length = 0;
  }
}

/**
 * A drop cap (one huge letter starting a paragraph) is glued to the line it starts; rows of
 * dots or underscores (separators, leaders on their own) are dropped.
 */
function cleanSegments(segs: Seg[], body: number): Seg[] {
  const out = segs.filter((s) => !/^[.·…_\-–—=*\s]{5,}$/.test(s.text));
  for (const cap of out.filter((s) => /^\p{Lu}$/u.test(s.text) && s.size >= body * 2)) {
    const next = out
      .filter((o) => o !== cap && o.x0 >= cap.x1 - 1 && o.x0 < cap.x1 + body * 3 && o.y > top(cap) && o.y < cap.y + body)
      .sort((a, b) => a.y - b.y)[0];
    if (!next) continue;
    next.text = cap.text + next.text;
    next.x0 = cap.x0;
    out.splice(out.indexOf(cap), 1);
  }
  return out;
}

/** Spacing accents and the combining mark each stands for. */
const ACCENTS: Record<string, string> = { "\u00b4": "\u0301", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u00a8": "\u0308", "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02d9": "\u0307", "\u02da": "\u030a", "\u02dd": "\u030b" };

/**
 * TeX draws an accent as a glyph of its own before the letter it sits on ("J´an Min´aˇc"): a
 * spacing accent followed by a letter becomes that accented letter ("Ján Mináč") when such a
 * letter exists, so "don´t" written with an acute for an apostrophe is left alone.
 */
export function composeAccents(text: string): string {
  return text.replace(/([\u00b4\u02c6\u02dc\u00a8\u02c7\u02d8\u02d9\u02da\u02dd])(\p{L})/gu, (m, accent: string, letter: string) => {
    const composed = (letter + ACCENTS[accent]).normalize("NFC");
    return [...composed].length === 1 ? composed : m;
  });
}

/** The size most of the characters are set in: one big glyph (an integral sign) does not make a line big. */
function dominantSize(sizes: Map<number, number>, fallback: number): number {
  let best = fallback;
  let most = -1;
  for (const [size, n] of sizes) if (n > most || (n === most && size > best)) [best, most] = [size, n];
  return best;
}

/** A segment while its runs are joined. */
type OpenSeg = Seg & { n: number; boldChars: number; sizes: Map<number, number>; pieces: Glyphs[] };

/** Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, their presentation forms). */
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/u;
const LATIN_OR_DIGIT = /[A-Za-z\u00c0-\u024f0-9]/;

/** Is the text mostly right-to-left letters? */
export function isRightToLeft(text: string): boolean {
  let rtl = 0;
  let ltr = 0;
  for (const c of text) {
    if (RTL.test(c)) rtl++;
    else if (/\p{L}/u.test(c)) ltr++;
  }
  return rtl > ltr;
}

/**
 * The text of a right-to-left segment in logical order. pdfjs gives each run's characters in
 * logical order, but the runs of a line lie left to right on the page: read them from the right,
 * except that a stretch of Latin words or numbers inside the line reads left to right.
 */
function rightToLeftText(pieces: Glyphs[]): string {
  const visual = [...pieces].sort((a, b) => b.x - a.x);
  const logical: Glyphs[] = [];
  const ltr = (g: Glyphs) => LATIN_OR_DIGIT.test(g.str) && !RTL.test(g.str);
  for (let i = 0; i < visual.length; ) {
    if (!ltr(visual[i]!)) {
      logical.push(visual[i++]!);
      continue;
    }
    // A stretch of Latin or digits, with the marks between them ("1387/02/01" in five runs).
    let j = i;
    for (let k = i; k < visual.length && !RTL.test(visual[k]!.str); k++) if (ltr(visual[k]!)) j = k + 1;
    logical.push(...visual.slice(i, j).reverse());
    i = j;
  }
  let text = "";
  let prev: Glyphs | null = null;
  for (const p of logical) {
    const gap = prev ? Math.max(p.x - (prev.x + prev.width), prev.x - (p.x + p.width)) : 0;
    text = prev ? joinRun(text, p.str, gap, p.size) : p.str;
    prev = p;
  }
  return text;
}

/** Arabic presentation forms (a font's shaped glyphs) -> the letters they show; kashida (justification stretch) dropped. */
const plainArabic = (text: string) => text.replace(/[\ufb50-\ufdff\ufe70-\ufefc]+/g, (m) => m.normalize("NFKC")).replace(/(?<=[\u0600-\u06ff])\u0640+|\u0640+(?=[\u0600-\u06ff])/g, "");

function finishSeg(s: OpenSeg, rtlPage: boolean): Seg {
  s.size = dominantSize(s.sizes, s.size);
  if (s.math) return { x0: s.x0, x1: s.x1, y: s.y, size: s.size, bold: false, text: `$$${s.text}$$`, math: true };
  // On a right-to-left page a line with any right-to-left word in it is a right-to-left line.
  const rtl = isRightToLeft(s.text) || (rtlPage && RTL.test(s.text));
  if (rtl && s.pieces.length > 1) s.text = rightToLeftText(s.pieces);
  if (rtl) s.text = plainArabic(s.text);
  // TeX sets double quotes as two single ones: ‘‘quoted’’ reads as “quoted”.
  const text = composeAccents(s.text.replace(/\s+/g, " ").replace(/\u2018\u2018/g, "\u201c").replace(/\u2019\u2019/g, "\u201d").trim());
  const artifact = s.pieces.every((p) => p.artifact);
  return { x0: s.x0, x1: s.x1, y: s.y, size: s.size, bold: s.boldChars >= s.n * 0.8, text, ...(rtl ? { rtl } : {}), ...(artifact ? { artifact } : {}) };
}

/**
 * Splits segments into single-column regions in reading order. Looks for the widest vertical
 * gutter in the middle of the region that (almost) no segment crosses and that has a real column
 * of text on each side; recurses into each side (three columns = two levels).
 */
function orderRegions(segs: Seg[], body: number, depth = 0): Seg[][] {
  if (segs.length < 6 || depth > 12) return [segs];
  // Wide segments (titles, abstracts, full-width captions) would hide a gutter: at first only
  // lines narrower than about half the region vote; if that finds no columns, lines up to 80% of
  // its width do (a narrow side column next to a wide one: a sidebar of addresses and dates).
  for (const wide of [0.55, 0.8]) {
    const split = findColumns(segs, body, wide);
    if (split) return readBands(split, body, depth);
  }
  return splitHorizontally(segs, body, depth);
}

interface ColumnSplit {
  left: Seg[];
  right: Seg[];
  spanning: Seg[];
}

/** The widest vertical gutter with a real column of text on each side, or null. */
function findColumns(segs: Seg[], body: number, wide: number): ColumnSplit | null {
  let xmin = Infinity;
  let xmax = -Infinity;
  for (const s of segs) {
    xmin = Math.min(xmin, s.x0);
    xmax = Math.max(xmax, s.x1);
  }
  const w = Math.ceil(xmax - xmin) + 1;
  const diff = new Int32Array(w + 1);
  for (const s of segs) {
    if (s.x1 - s.x0 > (xmax - xmin) * wide) continue;
    diff[Math.floor(s.x0 - xmin)]!++;
    diff[Math.ceil(s.x1 - xmin)]!--;
  }
  const cover = new Int32Array(w);
  let run = 0;
  let maxCover = 0;
  for (let i = 0; i < w; i++) {
    run += diff[i]!;
    cover[i] = run;
    maxCover = Math.max(maxCover, run);
  }
  // Segments spanning the gutter (titles, full-width figures, abstracts) are allowed in it.
  const allowed = Math.floor(maxCover * 0.08);
  let best: { a: number; b: number } | null = null;
  const lo = Math.floor(w * 0.15);
  const hi = Math.ceil(w * 0.85);
  for (let i = lo; i < hi; ) {
    if (cover[i]! > allowed) {
      i++;
      continue;
    }
    let j = i;
    while (j < hi && cover[j]! <= allowed) j++;
    if (j - i >= Math.max(body * 0.6, 4) && (!best || j - i > best.b - best.a)) best = { a: i + xmin, b: j + xmin };
    i = j;
  }
  if (!best) return null;
  const { a, b } = best;
  const left = segs.filter((s) => s.x1 <= a + 1);
  const right = segs.filter((s) => s.x0 >= b - 1);
  const pureLeft = [...left];
  const spanning: Seg[] = [];
  // A segment crossing the gutter with text beside it on the other side is a wide line of the
  // left column (an abstract set wider than the column next to it); otherwise it spans.
  const overlapsRow = (s: Seg, o: Seg) => top(o) < bottom(s) && bottom(o) > top(s);
  for (const s of segs) {
    if (s.x1 <= a + 1 || s.x0 >= b - 1) continue;
    if (right.some((o) => overlapsRow(s, o))) left.push(s);
    else spanning.push(s);
  }
  // A real column is several lines that mostly fill its width (a form's labels are not).
  const isColumn = (side: Seg[], x0: number, x1: number) =>
    side.length >= 3 && median(side.map((s) => s.x1 - s.x0)) >= 0.45 * (x1 - x0);
  if (!isColumn(pureLeft, xmin, a) || !isColumn(right, b, xmax)) return null;
  if (pairsUp(pureLeft, right)) return null;
  return { left, right, spanning };
}

/**
 * Short segments on both sides of a gutter that mostly share baselines are the rows of a
 * label/value block or a table ("Subtotal" ... "385.00"), to be read across, not two columns
 * read one after the other.
 */
function pairsUp(left: Seg[], right: Seg[]): boolean {
  const partner = (s: Seg, side: Seg[]) => side.some((o) => Math.abs(o.y - s.y) < 0.4 * Math.min(s.size, o.size));
  const l = left.filter((s) => partner(s, right));
  const r = right.filter((s) => partner(s, left));
  const shortCells = median([...l, ...r].map((s) => s.text.length)) <= 30;
  return l.length >= 2 && shortCells && Math.min(l.length, r.length) >= 0.6 * Math.min(left.length, right.length);
}

/** Columns cut into bands by the segments spanning the gutter; each band reads left, then right. */
function readBands({ left, right, spanning }: ColumnSplit, body: number, depth: number): Seg[][] {
  spanning.sort((p, q) => p.y - q.y);
  const out: Seg[][] = [];
  let from = -Infinity;
  let spanGroup: Seg[] = [];
  const flush = (to: number) => {
    const inBand = (s: Seg) => s.y > from && s.y <= to;
    const l = left.filter(inBand);
    const r = right.filter(inBand);
    if (l.length) out.push(...orderRegions(l, body, depth + 1));
    if (r.length) out.push(...orderRegions(r, body, depth + 1));
  };
  for (const s of spanning) {
    const between = [...left, ...right].some((c) => c.y > (spanGroup.at(-1)?.y ?? from) && c.y < s.y);
    if (spanGroup.length && between) {
      flush(spanGroup[0]!.y);
      out.push(spanGroup);
      from = spanGroup.at(-1)!.y;
      spanGroup = [];
    }
    if (!spanGroup.length) {
      flush(s.y);
      from = s.y;
    }
    spanGroup.push(s);
  }
  if (spanGroup.length) {
    out.push(spanGroup);
    from = spanGroup.at(-1)!.y;
  }
  flush(Infinity);
  return out.filter((r) => r.length);
}

/**
 * No gutter runs through the whole region: cut it at its widest full-width horizontal gap (if
 * clearly wider than paragraph spacing) and look for columns in each part, as in an XY-cut.
 */
function splitHorizontally(segs: Seg[], body: number, depth: number): Seg[][] {
  const sorted = [...segs].sort((p, q) => top(p) - top(q));
  let reach = bottom(sorted[0]!);
  let cut = -1;
  let widest = body * 1.2;
  for (let i = 1; i < sorted.length; i++) {
    const gap = top(sorted[i]!) - reach;
    if (gap > widest) [widest, cut] = [gap, i];
    reach = Math.max(reach, bottom(sorted[i]!));
  }
  if (cut < 0) return [segs];
  return [...orderRegions(sorted.slice(0, cut), body, depth + 1), ...orderRegions(sorted.slice(cut), body, depth + 1)];
}

/** Segments of one region -> lines (segments on one baseline are the cells of the line). */
function toLines(segs: Seg[]): Line[] {
  const sorted = [...segs].sort((a, b) => a.y - b.y || a.x0 - b.x0);
  const lines: Line[] = [];
  for (const s of sorted) {
    const l = lines[lines.length - 1];
    if (l && Math.abs(s.y - l.y) < 0.4 * Math.min(s.size, l.size)) {
      l.cells.push(s);
      l.x0 = Math.min(l.x0, s.x0);
      l.x1 = Math.max(l.x1, s.x1);
      const sizes = new Map<number, number>();
      for (const c of l.cells) sizes.set(c.size, (sizes.get(c.size) ?? 0) + c.text.length);
      l.size = dominantSize(sizes, l.size);
      l.bold &&= s.bold;
      l.math = !!(l.math || s.math);
    } else lines.push({ ...s, cells: [s] });
  }
  for (const l of lines) {
    l.cells.sort((a, b) => a.x0 - b.x0);
    // A right-to-left line reads its cells from the right.
    const chars = (rtl: boolean) => l.cells.reduce((n, c) => n + (!!c.rtl === rtl ? c.text.length : 0), 0);
    const cells = chars(true) >= chars(false) && chars(true) > 0 ? [...l.cells].reverse() : l.cells;
    l.text = cells.map((c) => c.text).join(" ");
  }
  return lines;
}

const BULLET = /^([•●▪◦○■□‣⁃∙·*\-–—])\s*/;
const NUMBERED = /^(\(?(\d{1,3}|[a-z]|[ivx]{1,4})[.)])\s+/i;
const CAPTION = /^(fig\.?|figure|table|tab\.)\s*\d+[a-z]?\s*[.:|]/i;
const PAGE_NUMBER = /^(page\s*)?[-–]?\s*(\d{1,4}|[ivxlc]{1,6})\s*[-–]?(\s*(of|\/)\s*\d{1,4})?$/i;

interface Block {
  lines: Line[];
  type: BlockType;
  level?: number;
  listMarker?: string;
}

function isListStart(text: string): string | null {
  const b = BULLET.exec(text);
  // "-" and "*" only count as bullets when followed by a space (not "-3 dB" or "*p < 0.05").
  if (b && (!"*-–—".includes(b[1]!) || /^.\s/.test(text))) return b[1]!;
  const n = NUMBERED.exec(text);
  if (n && text.length > n[0].length) return n[1]!;
  return null;
}

/** Lines of a region -> blocks, splitting on spacing, size, boldness, indentation and markers. */
function toBlocks(lines: Line[], body: number, pitch: number): Block[] {
  const blocks: Block[] = [];
  let cur: Block | null = null;
  const right = Math.max(...lines.map((l) => l.x1));
  for (let l of lines) {
    const last = cur?.lines.at(-1);
    if (l.math && l.cells.length === 1 && cur && last) {
      // A formula flush with the left edge of the paragraph it follows at the usual line pitch
      // is the end of a sentence wrapped onto its own line, not one set apart: it stays inline.
      const pitchHere = cur.lines.length >= 2 ? cur.lines[1]!.y - cur.lines[0]!.y : (pitch * Math.max(l.size, last.size)) / body;
      const indent = l.x0 - cur.lines[0]!.x0;
      const flush = Math.abs(indent) < l.size || (cur.listMarker !== undefined && indent > 0 && indent < 3 * l.size);
      if (l.y - last.y <= pitchHere * 1.35 && flush) {
        const cell = { ...l.cells[0]!, text: l.text.replace(/^\$\$([\s\S]*?)\s*([.,;:]?)\$\$$/, "$$$1$$$2"), math: false };
        l = { ...cell, cells: [cell] };
      }
    }
    if (l.math) {
      // Each formula on the line is a block of its own; the text beside one (cut apart from it
      // as its own segment) stays in reading order between them.
      for (const c of l.cells) blocks.push({ lines: [{ ...c, cells: [c] }], type: "paragraph" });
      cur = null;
      continue;
    }
    const prev = cur?.lines.at(-1);
    const marker = isListStart(l.text);
    let split = !cur || !prev;
    if (cur && prev) {
      const delta = l.y - prev.y;
      const expected = cur.lines.length >= 2 ? cur.lines[1]!.y - cur.lines[0]!.y : (pitch * Math.max(l.size, prev.size)) / body;
      const sizeChange = Math.abs(l.size - prev.size) > 0.12 * Math.min(l.size, prev.size);
      const boldChange = l.bold !== prev.bold && (l.bold ? l.text.length < 120 : prev.text.length < 120);
      const indented = l.x0 - cur.lines[0]!.x0 > l.size * 0.8 && cur.listMarker === undefined;
      const shortEnd = /[.!?:]["')\]]?$/.test(prev.text) && prev.x1 < right - l.size * 2;
      split = delta > expected * 1.35 || delta < 0 || sizeChange || boldChange || marker !== null || indented || shortEnd;
      // A list item's continuation lines are indented under its text.
      if (cur.listMarker !== undefined && !marker && delta <= expected * 1.35 && !sizeChange && l.x0 > cur.lines[0]!.x0 + 1) split = false;
    }
    if (split) {
      cur = { lines: [l], type: marker !== null ? "list" : "paragraph", listMarker: marker ?? undefined };
      blocks.push(cur);
    } else cur!.lines.push(l);
  }
  return blocks;
}

/** Joins the lines of a block into one paragraph, undoing end-of-line hyphenation. */
function joinLines(lines: Line[]): string {
  let text = "";
  for (const l of lines) {
    const t = l.text;
    if (!text) text = t;
    else if (/\u00ad$/.test(text)) text = text.slice(0, -1) + t;
    else if (/\p{Ll}-$/u.test(text) && /^\p{Ll}/u.test(t)) text = text.slice(0, -1) + t;
    else text += " " + t;
  }
  return text.replace(/\u00ad/g, "").replace(/\s+/g, " ").trim();
}

function boundsOf(lines: Seg[]): Box {
  const x0 = Math.min(...lines.map((l) => l.x0));
  const x1 = Math.max(...lines.map((l) => l.x1));
  const y0 = Math.min(...lines.map(top));
  const y1 = Math.max(...lines.map(bottom));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The most common font size, weighted by characters. */
function bodySize(segs: Seg[]): number {
  const hist = new Map<number, number>();
  for (const s of segs) {
    const k = Math.round(s.size * 2) / 2;
    hist.set(k, (hist.get(k) ?? 0) + s.text.length);
  }
  let best = 10;
  let n = -1;
  for (const [k, v] of hist) if (v > n) [best, n] = [k, v];
  return best;
}

/**
 * A line near the top or bottom edge of a page, as the document-level furniture pass sees it:
 * a page's own lines are compared with those of its neighbours (see DocumentContext).
 */
export interface EdgeLine {
  edge: "top" | "bottom";
  /** Distance of the baseline from that edge, in points. */
  offset: number;
  /** The text in lower case with every run of digits masked: "Page 3" and "Page 4" read "page #". */
  key: string;
  /** The number the line reads as when it reads as a page number ("7", "Page 7", "- 7 -", "vii"). */
  number?: number;
}

/** What the rest of the document tells about a page's edges: the edge lines of nearby pages. */
export interface DocumentContext {
  /** 1-based number of this page in the file. */
  page: number;
  /** Edge lines of other pages of the document (up to a few pages either side), by page number. */
  neighbours: Map<number, EdgeLine[]>;
  /**
   * The page's own label from the PDF's page labels ("62", "iv"), when the document numbers
   * its pages: a page cut out of a book keeps the number it had there.
   */
  label?: string;
}

/** Rows looked at from each edge, and how far in from it: running heads stack two or three deep at most. */
const EDGE_ROWS = 4;
const EDGE_BAND = 0.25;

const maskDigits = (t: string) => t.toLowerCase().replace(/\d+/g, "#").replace(/\s+/g, " ").trim();

function pageNumberValue(text: string): number | undefined {
  const m = PAGE_NUMBER.exec(text.trim());
  if (!m) return undefined;
  const v = m[2]!;
  if (/^\d+$/.test(v)) return Number(v);
  const ROMAN: Record<string, number> = { i: 1, v: 5, x: 10, l: 50, c: 100 };
  const r = [...v.toLowerCase()].map((c) => ROMAN[c]!);
  return r.reduce((sum, d, i) => sum + (d < (r[i + 1] ?? 0) ? -d : d), 0);
}

/** The rows nearest each edge of a page: up to EDGE_ROWS from each, within the outer quarter. */
function edgeRows(segs: Seg[], height: number): Array<{ edge: "top" | "bottom"; rows: Line[] }> {
  const rows = toLines(segs);
  const fromTop = rows.filter((r) => r.y < height * EDGE_BAND).slice(0, EDGE_ROWS);
  const fromBottom = rows.filter((r) => r.y > height * (1 - EDGE_BAND)).reverse().slice(0, EDGE_ROWS);
  return [
    { edge: "top", rows: fromTop },
    { edge: "bottom", rows: fromBottom.filter((r) => !fromTop.includes(r)) },
  ];
}

function edgeLinesOfRow(row: Line, edge: "top" | "bottom", height: number): EdgeLine[] {
  const offset = edge === "top" ? row.y : height - row.y;
  const parts = row.cells.length > 1 ? [row.text, ...row.cells.map((c) => c.text)] : [row.text];
  return parts.map((t) => ({ edge, offset, key: maskDigits(t), ...(pageNumberValue(t) !== undefined ? { number: pageNumberValue(t) } : {}) }));
}

/** A page's edge lines, for its neighbours' furniture pass (cheap: no layout beyond rows). */
export function edgeLines(glyphs: Glyphs[], width: number, height: number): EdgeLine[] {
  const { segs, frame } = pageSegments(glyphs, width, height);
  if (segs.length === 0) return [];
  const clean = cleanSegments(segs, bodySize(segs));
  return edgeRows(clean, frame.height).flatMap(({ edge, rows }) => rows.flatMap((r) => edgeLinesOfRow(r, edge, frame.height)));
}

/**
 * The page seen so that text drawn at `angle` reads left to right: a rotation of page space,
 * shifted so that the page's corners stay at positive coordinates.
 */
interface Frame {
  width: number;
  height: number;
  toFrame(x: number, y: number): [number, number];
  toPage(x: number, y: number): [number, number];
}

function frameAt(angle: number, width: number, height: number): Frame {
  // y grows downwards: a run reading at `angle` (counter-clockwise) points along (cos, -sin);
  // turning page space by `angle` clockwise-positive brings it to (1, 0).
  const [c, s] = [Math.cos((angle * Math.PI) / 180), Math.sin((angle * Math.PI) / 180)];
  const turn = (x: number, y: number): [number, number] => [x * c - y * s, x * s + y * c];
  const corners = [turn(0, 0), turn(width, 0), turn(0, height), turn(width, height)];
  const ox = Math.min(...corners.map((p) => p[0]));
  const oy = Math.min(...corners.map((p) => p[1]));
  return {
    width: Math.max(...corners.map((p) => p[0])) - ox,
    height: Math.max(...corners.map((p) => p[1])) - oy,
    toFrame: (x, y) => {
      const [fx, fy] = turn(x, y);
      return [fx - ox, fy - oy];
    },
    toPage: (x, y) => {
      const [px, py] = [x + ox, y + oy];
      return [px * c + py * s, -px * s + py * c];
    },
  };
}

/** The box of a frame's box on the page (or in another frame). */
function mapBox(b: Box, from: (x: number, y: number) => [number, number]): Box {
  const pts = [from(b.x, b.y), from(b.x + b.width, b.y), from(b.x, b.y + b.height), from(b.x + b.width, b.y + b.height)];
  const x0 = Math.min(...pts.map((p) => p[0]));
  const y0 = Math.min(...pts.map((p) => p[1]));
  return { x: x0, y: y0, width: Math.max(...pts.map((p) => p[0])) - x0, height: Math.max(...pts.map((p) => p[1])) - y0 };
}

/** Angle a run reads at, to the nearest degree, snapped to a right angle within 2 degrees; null: not read. */
function runAngle(g: Glyphs): number | null {
  if (g.angle === undefined) return g.horizontal ? 0 : null;
  let a = Math.round(g.angle) % 360;
  if (a < 0) a += 360;
  const right = Math.round(a / 90) * 90;
  return Math.abs(a - right) <= 2 ? right % 360 : a;
}

/**
 * Segments of a page in the frame of its main text direction (a page whose text all runs up
 * the sheet, as a landscape table printed on a portrait page, is read as that landscape page).
 * Runs at other right angles (rotated column headers, a note up the margin) are read in their
 * own direction and placed by their box: a segment whose baseline is the box's bottom edge.
 * Runs at any other angle are placed the same way but also named in `slanted`: a diagonal
 * watermark among them is set aside by layoutPage (its box would cut across the columns),
 * while column headings set at 45 degrees stay over their columns.
 */
function pageSegments(glyphs: Glyphs[], width: number, height: number): { segs: Seg[]; frame: Frame; slanted: Set<Seg> } {
  const groups = new Map<number, Glyphs[]>();
  for (const g of glyphs) {
    const a = runAngle(g);
    if (a === null) continue;
    groups.set(a, [...(groups.get(a) ?? []), g]);
  }
  const chars = (gs: Glyphs[]) => gs.reduce((n, g) => n + g.str.trim().length, 0);
  let main = 0;
  for (const [a, gs] of groups) if (chars(gs) > chars(groups.get(main) ?? [])) main = a;
  const frame = frameAt(main, width, height);
  const rtlPage = isRightToLeft(glyphs.map((g) => g.str).join(""));
  const segs: Seg[] = [];
  const slanted = new Set<Seg>();
  for (const [a, gs] of groups) {
    const own = a === main ? frame : frameAt(a, width, height);
    const turned = gs.map((g) => {
      const [x, y] = own.toFrame(g.x, g.y);
      return { ...g, x, y, horizontal: true, angle: 0 };
    });
    // Formulas (./math) are found in the page's main direction only.
    const local = toSegments(a === main ? withFormulas(turned) : turned, rtlPage);
    if (a === main) segs.push(...local);
    else
      for (const s of local) {
        const box = mapBox(boundsOf([s]), (x, y) => frame.toFrame(...own.toPage(x, y)));
        const placed = { ...s, x0: box.x, x1: box.x + box.width, y: box.y + box.height - s.size * 0.25 };
        segs.push(placed);
        if ((a - main) % 90 !== 0) slanted.add(placed);
      }
  }
  return { segs, frame, slanted };
}

/**
 * Page furniture, decided by the document rather than by where a line sits: walking in from
 * each edge, a row is a running header or footer only when every cell of it repeats (digits
 * masked) at the same distance from the same edge on a nearby page, or is a page number that
 * counts with the pages (its value minus the page's number is the same on a nearby page; or it
 * is this page's own number, as "1" on the only page of a document). Rows with no letter or
 * digit at all (a rule drawn as text) go too; a repository's download stamp ("Downloaded from
 * ...", "Download date: ...") is not part of the document, nor is a row a tagged PDF marks as an
 * artifact (its running heads and page numbers, by the PDF's own word); the PDF's page labels
 * give a page its own number. The walk stops at the first row that is none of these: when in
 * doubt, keep. A row whose cells line up with the row inside it is a
 * table's (a header repeated on every page of a long table) and is kept.
 */
function markFurniture(segs: Seg[], height: number, ctx: DocumentContext): Set<Seg> {
  // A stamp often runs up the page's side margin: it goes wherever it is.
  const out = new Set<Seg>(segs.filter((s) => DOWNLOAD_STAMP.test(s.text)));
  const tol = Math.max(6, height * 0.015);
  const label = ctx.label !== undefined ? pageNumberValue(ctx.label) : undefined;
  // A tagged PDF says which of its text is not content (`/Artifact`); believed only when the
  // page also has text that is content, so a producer marking everything as artifact loses nothing.
  const hasContent = segs.some((s) => !s.artifact);
  for (const { edge, rows } of edgeRows(segs, height)) {
    const others = [...ctx.neighbours].flatMap(([page, lines]) => lines.filter((l) => l.edge === edge).map((l) => ({ ...l, page })));
    const repeats = (key: string, offset: number) => /\p{L}/u.test(key) && others.some((o) => o.key === key && Math.abs(o.offset - offset) <= tol);
    const counts = (value: number, outermost: boolean) =>
      others.some((o) => o.number !== undefined && o.number - o.page === value - ctx.page) || (outermost && (value === ctx.page || value === label));
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const offset = edge === "top" ? row.y : height - row.y;
      const inner = rows[i + 1];
      const noText = !/[\p{L}\p{N}]/u.test(row.text);
      const stamp = DOWNLOAD_STAMP.test(row.text) || (hasContent && row.cells.every((c) => c.artifact));
      const furniture =
        noText ||
        stamp ||
        repeats(maskDigits(row.text), offset) ||
        row.cells.every((c) => {
          const value = pageNumberValue(c.text);
          return repeats(maskDigits(c.text), offset) || (value !== undefined && counts(value, i === 0 || rows.slice(0, i).every((r) => r.cells.every((x) => out.has(x)))));
        });
      if (!furniture || (!noText && !stamp && inner && linesUp(row, inner))) break;
      for (const c of row.cells) out.add(c);
    }
  }
  return out;
}

/** A repository's download stamp: "Downloaded from <host> ...", "Download date: ...". */
const DOWNLOAD_STAMP = /^(this (article|document|file|paper) was )?downloaded from:?\s+(https?:\/\/)?[\w-]+(\.[\w-]+)+|^download(ed)? date\s*:/i;

/** Two rows of several cells that start, end or centre at the same places: rows of one table. */
function linesUp(a: Line, b: Line): boolean {
  if (a.cells.length < 2 || b.cells.length < 2) return false;
  const near = (p: number, q: number) => Math.abs(p - q) <= 3;
  const aligned = a.cells.filter((c) => b.cells.some((d) => near(c.x0, d.x0) || near(c.x1, d.x1) || near((c.x0 + c.x1) / 2, (d.x0 + d.x1) / 2)));
  return aligned.length >= 2;
}

/** Is the text layer real text? (Not junk from a font with no Unicode map, not a bad OCR layer.) */
export function judgeText(text: string, signals: PageSignals): boolean {
  const chars = [...text.replace(/\s+/g, "")];
  if (chars.length < 20) return false;
  let bad = 0;
  let letters = 0;
  for (const c of chars) {
    if (/[\ufffd\u0000-\u001f\ue000-\uf8ff]/.test(c)) bad++;
    else if (/[\p{L}\p{N}]/u.test(c)) letters++;
  }
  const ocrLayer = signals.invisibleText > signals.visibleText && signals.images > 0;
  if (bad / chars.length > (ocrLayer ? 0.01 : 0.05)) return false;
  if (letters / chars.length < (ocrLayer ? 0.75 : 0.5)) return false;
  // Word-likeness, for Latin-script text: real words have vowels and few case switches.
  const words = text.split(/\s+/).map((w) => w.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, "")).filter((w) => /^[A-Za-zÀ-ÿ]{2,}$/.test(w));
  if (words.length >= 10) {
    const good = words.filter((w) => /[aeiouyàâäéèêëîïôöûüAEIOUYÉ]/.test(w) && !/[a-z][A-Z].*[a-z][A-Z]/.test(w)).length;
    if (good / words.length < (ocrLayer ? 0.85 : 0.6)) return false;
  }
  return !(ocrLayer && looksMisread(text));
}

/**
 * An OCR layer another tool made of something it could not read (handwriting, a photo) is
 * short fragments: "at - be EE Er =e I — i Daibongtion ir nly; 7, i a 0 Gn A So 5 yd prs".
 * Real text, in any script, has tokens of four or more characters on average and few that are
 * neither a word nor a number. Only asked of OCR layers: when in doubt the page is read again
 * from its image, which costs time, not text.
 */
function looksMisread(text: string): boolean {
  const tokens = text.split(/\s+/).filter(Boolean);
  if (tokens.length < 15) return false;
  let noise = 0;
  for (const token of tokens) {
    const t = token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    const number = /^\p{N}[\p{N}.,:/%-]*$/u.test(t);
    const word = /^(\p{Lu}?\p{Ll}+|\p{Lu}+|\p{Lo}+\p{M}*(\p{Lo}|\p{M})*)$/u.test(t) && (t.length >= 2 || /^[aAI]$/.test(t));
    if (!number && !(word && (!/^[A-Za-z]+$/.test(t) || t.length < 2 || /[aeiouyAEIOUY]/.test(t)))) noise++;
  }
  const meanLength = tokens.join("").length / tokens.length;
  return meanLength < 3.3 || noise / tokens.length > 0.3;
}

/**
 * A table's lines as a grid: the columns are those of its line with the most cells; every other
 * cell goes to the column it overlaps most (nearest by centre when it overlaps none). A line
 * of one cell starting in lower case continues the row above (a wrapped cell); a header cell
 * over several columns ("Year Ended" above three dates) is repeated in each, since a markdown
 * table has no column spans.
 */
export function tableGrid(lines: Line[]): string[][] {
  const template = lines.reduce((a, l) => (l.cells.length > a.cells.length ? l : a), lines[0]!);
  const cols = template.cells.map((c) => [c.x0, c.x1] as const);
  // Header lines: those above the first line of several cells (titles over groups of columns).
  const firstMulti = lines.findIndex((l) => l.cells.length >= 2);
  const columnsOf = (c: Seg, header: boolean): number[] => {
    const overlap = cols.map(([x0, x1]) => Math.max(0, Math.min(x1, c.x1) - Math.max(x0, c.x0)));
    const best = overlap.indexOf(Math.max(...overlap));
    if (overlap[best]! <= 0) {
      const mid = (c.x0 + c.x1) / 2;
      const dist = cols.map(([x0, x1]) => Math.abs((x0 + x1) / 2 - mid));
      return [dist.indexOf(Math.min(...dist))];
    }
    if (!header) return [best];
    // A header cell clearly covering several columns' text is the heading of each.
    const spanned = overlap.map((o, i) => (o >= 0.6 * (cols[i]![1] - cols[i]![0]) ? i : -1)).filter((i) => i >= 0);
    return spanned.length > 1 ? spanned : [best];
  };
  const rows: string[][] = [];
  lines.forEach((l, li) => {
    const header = li < firstMulti;
    if (l.cells.length === 1 && rows.length && /^\p{Ll}/u.test(l.text)) {
      const [c] = columnsOf(l.cells[0]!, false);
      const prev = rows[rows.length - 1]!;
      prev[c!] = prev[c!] ? `${prev[c!]} ${l.text}` : l.text;
      return;
    }
    const row = cols.map(() => "");
    for (const cell of l.cells) for (const c of columnsOf(cell, header)) row[c] = row[c] ? `${row[c]} ${cell.text}` : cell.text;
    rows.push(row);
  });
  // Columns left empty in every row (a "$" column whose signs went elsewhere) are dropped.
  const keep = cols.map((_, c) => rows.some((r) => r[c] !== ""));
  return rows.map((r) => r.filter((_, c) => keep[c]));
}

/** Markdown table from the lines of a table. */
function tableMarkdown(lines: Line[]): string {
  const grid = tableGrid(lines);
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [row(grid[0]!), `|${" --- |".repeat(grid[0]!.length)}`, ...grid.slice(1).map(row)].join("\n");
}

/**
 * Runs of lines with several cells are tables when at least three lines
 * have several short cells; a line of one short cell between two such lines (a wrapped cell, a
 * section label inside the table) does not end the run.
 */
function findTables(lines: Line[]): Array<Line | Line[]> {
  const out: Array<Line | Line[]> = [];
  // Rows of one table differ in cell count (empty cells, "$" signs set apart): any line of two
  // or more cells goes on the run, up to a few times the first line's count.
  // A line holding a display formula is never a table row (an equation is not a table).
  const multi = (l: Line | undefined, n: number) => !!l && !l.math && l.cells.length >= 2 && l.cells.length <= n * 3 + 1 && n <= l.cells.length * 3 + 1;
  for (let i = 0; i < lines.length; ) {
    const n = lines[i]!.math ? 0 : lines[i]!.cells.length;
    let j = i;
    if (n >= 2) {
      while (j < lines.length) {
        const l = lines[j]!;
        if (multi(l, n)) j++;
        else if (l.cells.length === 1 && l.text.length <= 40 && j > i && (multi(lines[j + 1], n) || (lines[j + 1]?.cells.length === 1 && lines[j + 1]!.text.length <= 40 && multi(lines[j + 2], n)))) j++;
        else break;
      }
    }
    const run = lines.slice(i, j);
    const multiLines = run.filter((l) => l.cells.length >= 2);
    // Short cells: two columns of prose on shared baselines are not a table.
    const cellLengths = multiLines.flatMap((l) => l.cells.map((c) => c.text.length));
    if (n >= 2 && multiLines.length >= 3 && median(cellLengths) <= 30) {
      // A short line just above, clear of the first column, heads some of the columns ("Year Ended").
      const above = out.at(-1);
      const labelEnd = Math.min(...multiLines.map((l) => l.cells[0]!.x1));
      if (above && !Array.isArray(above) && above.cells.length === 1 && above.text.length <= 40 && above.x0 > labelEnd && run[0]!.y - above.y <= 2.5 * above.size) {
        out.pop();
        run.unshift(above);
      }
      out.push(run);
      i = j;
    } else out.push(lines[i++]!);
  }
  return out;
}

/**
 * Lays out one page. `context` tells what the rest of the document looks like at its edges;
 * without it the page is taken as a document of its own, where nothing repeats.
 */
export function layoutPage(glyphs: Glyphs[], width: number, height: number, signals: PageSignals, context: DocumentContext = { page: 1, neighbours: new Map() }) {
  const prepared = pageSegments(glyphs, width, height);
  let segs = prepared.segs;
  if (segs.length === 0) return { markdown: "", usable: false, blocks: [] as LaidBlock[] };
  // Judged on the text as read (overprint read once, words whole), not on pdfjs's runs.
  const usable = judgeText(segs.map((s) => s.text).join(" "), signals);
  // From here on, the page as its text reads (turned when all of it runs up or down the sheet).
  const frame = prepared.frame;
  height = frame.height;
  const onPage = (b: Box) => mapBox(b, frame.toPage);
  const body = bodySize(segs);
  segs = cleanSegments(segs, body);
  const margins = markFurniture(segs, height, context);
  // A slanted run far larger than the text or across a third of the page is a watermark or a
  // stamp: read after the page's text. Small ones (column headings at 45 degrees) stay in place.
  const aside = new Set([...prepared.slanted].filter((s) => s.size >= body * 1.5 || s.x1 - s.x0 > frame.width / 3));
  const main = segs.filter((s) => !margins.has(s) && !aside.has(s));

  // Typical baseline pitch of body text, for paragraph breaks.
  const pitches: number[] = [];
  const bodyLines = [...main].filter((s) => Math.abs(s.size - body) < 0.6).sort((a, b) => a.y - b.y || a.x0 - b.x0);
  for (let i = 1; i < bodyLines.length; i++) {
    const d = bodyLines[i]!.y - bodyLines[i - 1]!.y;
    if (d > body * 0.8 && d < body * 2.5) pitches.push(d);
  }
  const pitch = pitches.length ? median(pitches) : body * 1.2;

  const blocks: Block[] = [];
  for (const region of orderRegions(main, body)) {
    for (const part of findTables(toLines(region))) {
      if (Array.isArray(part)) blocks.push({ lines: part, type: "table" });
      else {
        const last = blocks.at(-1);
        // Consecutive non-table lines of one region are laid out together.
        if (last && last.type === "paragraph" && (last as Block & { raw?: boolean }).raw) last.lines.push(part);
        else blocks.push(Object.assign({ lines: [part], type: "paragraph" as BlockType }, { raw: true }));
      }
    }
  }
  const typed: Block[] = [];
  for (const b of blocks) {
    if (b.type === "table") typed.push(b);
    else typed.push(...toBlocks(b.lines, body, pitch));
  }
  for (const s of segs.filter((s) => aside.has(s) && !margins.has(s))) typed.push({ lines: [{ ...s, cells: [s] }], type: "paragraph" });
  // A paragraph cut mid-sentence (by a column or a page-region break, or a line set looser than
  // the rest) goes on in the next one when that starts in lower case: "irretrie-" + "vably".
  for (let i = 0; i + 1 < typed.length; i++) {
    const [a, b] = [typed[i]!, typed[i + 1]!];
    if (a.type !== "paragraph" || b.type !== "paragraph") continue;
    const end = a.lines.at(-1)!.text;
    const sameSize = Math.abs(a.lines.at(-1)!.size - b.lines[0]!.size) <= 0.12 * body;
    if (sameSize && /(\p{Ll}-|[\p{Ll},;])$/u.test(end) && /^\p{Ll}/u.test(b.lines[0]!.text)) {
      a.lines.push(...b.lines);
      typed.splice(i + 1, 1);
      i--;
    }
  }

  // Heading levels: distinct sizes noticeably above body text, largest first.
  const text = (b: Block) => joinLines(b.lines);
  const headingLike = (b: Block) => {
    if (b.type !== "paragraph" || b.lines.length > 3 || b.lines.some((l) => l.math)) return false;
    // A row of cells spread along the line is a table's header or a label and its value, not a
    // title ("1  Introduction", a number set apart from its title, is one).
    const spread = (l: Line) => l.cells.some((c, i) => i > 0 && c.x0 - l.cells[i - 1]!.x1 > 2 * l.size);
    if (b.lines.some((l) => spread(l) && !(l.cells.length === 2 && /^(\d+(\.\d+)*\.?|[A-Z]\.|[IVX]+\.)$/.test(l.cells[0]!.text)))) return false;
    const t = text(b);
    // A heading starts a thought: a line starting in lower case continues a sentence.
    if (t.length > 200 || !/\p{L}/u.test(t) || /^\p{Ll}/u.test(t)) return false;
    if (isBig(b)) return true;
    return b.lines.every((l) => l.bold) && b.lines.length <= 2 && t.length < 120 && !/[.,;]$/.test(t);
  };
  // A size used for much text (a lead paragraph, an abstract) is a text size, not a heading's.
  const charsAt = new Map<number, number>();
  for (const seg of main) charsAt.set(Math.round(seg.size), (charsAt.get(Math.round(seg.size)) ?? 0) + seg.text.length);
  const isBig = (b: Block) => b.lines[0]!.size >= body * 1.15 && (charsAt.get(Math.round(b.lines[0]!.size)) ?? 0) <= 300;
  const sizes = [...new Set(typed.filter((b) => headingLike(b) && isBig(b)).map((b) => Math.round(b.lines[0]!.size)))].sort((a, b) => b - a);
  for (const b of typed) {
    if (headingLike(b)) {
      b.type = "heading";
      b.level = isBig(b) ? Math.min(3, sizes.indexOf(Math.round(b.lines[0]!.size)) + 1) : Math.min(3, sizes.length + 1);
    } else if (b.type === "paragraph" && CAPTION.test(text(b))) b.type = "caption";
  }

  const out: LaidBlock[] = [];
  const md: string[] = [];
  for (const b of typed) {
    let t = text(b);
    let m = t;
    if (b.type === "heading") m = `${"#".repeat(b.level!)} ${t}`;
    else if (b.type === "table") m = t = tableMarkdown(b.lines);
    // Text that starts like markdown's own marks (a table's "#" column name) is escaped, so it is
    // not read as a heading or a quote.
    else if (b.type === "paragraph" || b.type === "caption") m = t.replace(/^(#{1,6}(?=\s|$)|>)/, "\\$1");
    else if (b.type === "list") {
      const marker = b.listMarker!;
      const rest = t.slice(t.indexOf(marker) + marker.length).trim();
      const digits = /^\(?(\d+)[.)]$/.exec(marker);
      if (digits) m = `${digits[1]}. ${rest}`;
      else m = /[.)]$/.test(marker) ? `- ${marker} ${rest}` : `- ${rest}`;
    }
    out.push({ type: b.type, text: t, bounds: onPage(boundsOf(b.lines)), ...(b.level ? { level: b.level } : {}) });
    const prev = md.length ? typed[typed.indexOf(b) - 1] : undefined;
    md.push(b.type === "list" && prev?.type === "list" ? `\n${m}` : `\n\n${m}`);
  }
  for (const s of margins) {
    out.push({ type: top(s) < height / 2 ? "header" : "footer", text: s.text, bounds: onPage(boundsOf([s])) });
  }
  return { markdown: md.join("").trim(), usable, blocks: out };
}
