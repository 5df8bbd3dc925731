import type { Box, OcrBlock, OcrLine, OcrResult } from "./types.ts";
import { unionBox } from "./boxes.ts";

/** A line this much taller than the body text is a heading; this much taller still, a level-1 heading. */
const HEADING_RATIO = 1.3;
const H1_RATIO = 1.8;

// "•", "▪" and friends, or an ASCII "-", "*", "+", "»" standing alone before the text.
const BULLET = /^(?:[•·▪▫●○◦‣∙■□➢➤►▶✓✔\u2013\u2014\-*+»])\s+(?=\S)/u;
// "1.", "2)", "a)", "iv." at the start of a line.
const NUMBERED = /^(?:\d{1,3}|[a-z]|[ivxlc]{1,5})[.)]\s+(?=\S)/i;

interface Part {
  type: "paragraph" | "heading" | "list";
  level: number; // heading level (1-2)
  lines: OcrLine[];
  items: OcrLine[][]; // list items (each one or more lines)
}

/** Median of line font heights, each line weighted by its number of characters. */
export function bodyFontHeight(result: OcrResult): number {
  const lines = result.paragraphs.flatMap((p) => p.lines).filter((l) => l.fontHeight > 0);
  if (lines.length === 0) return 0;
  lines.sort((a, b) => a.fontHeight - b.fontHeight);
  const total = lines.reduce((n, l) => n + l.text.length, 0);
  let acc = 0;
  for (const l of lines) {
    acc += l.text.length;
    if (acc * 2 >= total) return l.fontHeight;
  }
  return lines[lines.length - 1]!.fontHeight;
}

/** Joins a paragraph's lines into one string, undoing end-of-line hyphenation. */
export function joinLines(lines: string[]): string {
  let out = "";
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (!out) out = line;
    else if (/\p{L}-$/u.test(out) && /^\p{Ll}/u.test(line)) out = out.slice(0, -1) + line;
    else out += " " + line;
  }
  return out;
}

function headingLevel(line: OcrLine, body: number): number {
  if (body <= 0 || line.fontHeight <= 0) return 0;
  const r = line.fontHeight / body;
  // A heading is short: a long line at a large size is more likely a different body font.
  if (r >= HEADING_RATIO && line.text.length <= 120) return r >= H1_RATIO ? 1 : 2;
  return 0;
}

function isBullet(text: string): boolean {
  return BULLET.test(text) || NUMBERED.test(text);
}

function segment(result: OcrResult): Part[] {
  const body = bodyFontHeight(result);
  const parts: Part[] = [];
  for (const p of result.paragraphs) {
    let cur: Part | null = null;
    for (const line of p.lines) {
      const level = headingLevel(line, body);
      if (level > 0) {
        if (cur?.type === "heading" && cur.level === level) cur.lines.push(line);
        else parts.push((cur = { type: "heading", level, lines: [line], items: [] }));
      } else if (isBullet(line.text)) {
        if (cur?.type === "list") cur.items.push([line]);
        else parts.push((cur = { type: "list", level: 0, lines: [], items: [[line]] }));
        cur.lines.push(line);
      } else if (cur?.type === "list") {
        // A wrapped line of the current item.
        cur.items[cur.items.length - 1]!.push(line);
        cur.lines.push(line);
      } else if (cur?.type === "paragraph") {
        cur.lines.push(line);
      } else {
        parts.push((cur = { type: "paragraph", level: 0, lines: [line], items: [] }));
      }
    }
  }
  return parts;
}

function itemText(lines: OcrLine[]): string {
  const text = joinLines(lines.map((l) => l.text));
  return text.replace(BULLET, "");
}

/** Text of a list item in Markdown: "- text", or "3. text" for a numbered one. */
function itemMarkdown(lines: OcrLine[]): string {
  const text = joinLines(lines.map((l) => l.text));
  if (BULLET.test(text)) return "- " + escapeStart(text.replace(BULLET, ""));
  const m = /^(\d{1,3})[.)]\s+/.exec(text);
  if (m) return `${m[1]}. ${escapeStart(text.slice(m[0].length))}`;
  return "- " + escapeStart(text);
}

/** Keeps recognised text from being read as Markdown syntax at the start of a block. */
function escapeStart(text: string): string {
  return text.replace(/^(#{1,6}\s|>|[-*+]\s|\d+[.)]\s)/, "\\$1");
}

/** Paragraphs, headings and lists in reading order, with their boxes. */
export function ocrToBlocks(result: OcrResult): OcrBlock[] {
  const blocks: OcrBlock[] = [];
  for (const part of segment(result)) {
    if (part.type === "list") {
      for (const item of part.items) {
        blocks.push({ type: "list", text: itemText(item), bounds: unionBox(item.map((l) => l.bounds)) });
      }
    } else {
      const text = joinLines(part.lines.map((l) => l.text));
      if (text) blocks.push({ type: part.type, text, bounds: unionBox(part.lines.map((l) => l.bounds)) });
    }
  }
  return blocks;
}

/**
 * Markdown of an OCR result: paragraphs separated by blank lines, their lines joined (with
 * end-of-line hyphens removed), lines clearly larger than the body text as headings (# / ##),
 * bullet and numbered lines as list items.
 */
export function ocrToMarkdown(result: OcrResult): string {
  const out: string[] = [];
  for (const part of segment(result)) {
    if (part.type === "list") {
      out.push(part.items.map(itemMarkdown).join("\n"));
    } else {
      const text = joinLines(part.lines.map((l) => l.text));
      if (!text) continue;
      out.push(part.type === "heading" ? `${"#".repeat(part.level)} ${text}` : escapeStart(text));
    }
  }
  return out.join("\n\n") + (out.length > 0 ? "\n" : "");
}
