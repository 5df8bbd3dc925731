/**
 * Text layer -> markdown (src/pipeline/pdf/layout.ts) on synthetic glyph runs: the cases the
 * olmOCR-bench sample showed (bench/quality): running headers and footers outside the narrow
 * margin zone, drop caps, footnote markers, TeX quotes and accents, headings, paragraphs cut by
 * a column break, a narrow sidebar beside a column.
 */
import { describe, expect, test } from "bun:test";
import { composeAccents, layoutPage, type Glyphs } from "../../src/pipeline/pdf/layout";

const SIGNALS = { visibleText: 100, invisibleText: 0, images: 0 };
/** One run of text; width estimated at half an em per character. */
const g = (str: string, x: number, y: number, size = 10, extra: Partial<Glyphs> = {}): Glyphs => ({
  str,
  x,
  y,
  width: str.length * size * 0.5,
  size,
  horizontal: true,
  bold: false,
  font: "F1",
  ...extra,
});
const WORDS = "the report explains how documents are read and why the order of the text matters to people who search them".split(" ");
/** Lines of body text from y downwards, 12 pt apart, each about 80 characters. */
function body(x: number, y: number, lines: number, width = 80, seed = 0): Glyphs[] {
  const out: Glyphs[] = [];
  for (let i = 0; i < lines; i++) {
    let t = "";
    for (let k = seed + i; t.length < width; k++) t += (t ? " " : "") + WORDS[k % WORDS.length];
    out.push(g(t.slice(0, width).trim(), x, y + i * 12));
  }
  return out;
}
const md = (glyphs: Glyphs[], width = 612, height = 792) => layoutPage(glyphs, width, height, SIGNALS).markdown;

describe("running headers, footers and page numbers", () => {
  test("a page number alone below the text is left out, even half-way down the page", () => {
    const out = md([...body(72, 100, 20), g("62", 300, 500)]);
    expect(out).not.toMatch(/\b62\b/);
    expect(out).toContain("the report explains");
  });

  test("a footer row of items spread along it, set apart by a gap, is left out", () => {
    const out = md([...body(72, 100, 40), g("Revision: 2.4", 72, 714), g("P/N 119-036", 276, 714), g("10 June 2019", 496, 714)]);
    expect(out).not.toContain("Revision");
    expect(out).not.toContain("119-036");
  });

  test("a journal footer with a link and a date is left out; a last line of text is kept", () => {
    const out = md([...body(72, 100, 40), g("PLOS Neglected Tropical Diseases | www.plosntds.org", 58, 760, 8)]);
    expect(out).not.toContain("plosntds");
    const kept = md([...body(72, 100, 40), g("The study ends here with a closing sentence.", 72, 640)]);
    expect(kept).toContain("The study ends here with a closing sentence.");
  });

  test("a book's running head (page number, title, chapter) is left out without a gap", () => {
    const page = [g("400", 29, 29.4, 3), g("BRITISH HUSBANDRY.", 70, 29.3, 3.5), g("[Ch. XIX.", 141, 29.5, 3)];
    const lines = Array.from({ length: 30 }, (_, i) => g("general, the turnip crop has been, in many instances, ten-fold", 29, 36 + i * 6.5, 3.3));
    const out = md([...page, ...lines], 180, 300);
    expect(out).not.toContain("HUSBANDRY");
    expect(out).not.toContain("XIX");
    expect(out).toContain("turnip crop");
  });
});

describe("text in reading order", () => {
  test("a drop cap starts the first line beside it, not the line it sits on", () => {
    const out = md([
      ...body(72, 100, 6),
      g("O", 72, 210.8, 31.7),
      g("ver the past three decades increasing", 98, 190.9, 8.5),
      g("pressure from non-governmental organi-", 98, 201, 8.5),
      g("sations (NGOs), governments and the", 98, 211.1, 8.5),
      g("United Nations, has required transnational cor-", 72, 221.2, 8.5),
      ...body(72, 240, 6, 80, 3),
    ]);
    expect(out).toContain("Over the past three decades increasing pressure from non-governmental organisations (NGOs)");
    expect(out).not.toContain("Osations");
  });

  test("a raised footnote marker stays on its line", () => {
    const out = md([...body(72, 100, 4), g("means different things to different people.", 72, 160), g("1", 72 + 43 * 5, 156.7, 5), ...body(72, 172, 4, 80, 5)]);
    expect(out).toContain("different people.1");
    expect(out).not.toMatch(/\n\n1\n\n/);
  });

  test("a paragraph cut by a column break goes on when the next part starts in lower case", () => {
    const left = [...body(72, 100, 10, 45), g("judged as an irretrie-", 72, 220)];
    const right = [g("vably negative force in public health.", 320, 100), ...body(320, 112, 10, 45, 4)];
    const out = md([...left, ...right]);
    expect(out).toContain("as an irretrievably negative force in public health.");
  });

  test("a narrow sidebar beside a wide column is read apart from it", () => {
    const sidebar = ["Correspondence to:", "Dr N Hirschhorn,", "Nastolantie 6,", "Helsinki, Finland;", "Received", "13 November 2003"].map((t, i) => g(t, 69, 300 + i * 12, 7.6, { width: 70 }));
    const column = body(166, 300, 12, 36).map((x) => ({ ...x, width: 181 }));
    const out = md([...body(72, 100, 10), ...sidebar, ...column]);
    expect(out).toContain("Helsinki, Finland; Received 13 November 2003");
    expect(out).not.toMatch(/(Correspondence|Hirschhorn|Finland)[^\n]*(report|documents)/);
  });
});

describe("text clean-up", () => {
  test("TeX's doubled single quotes become double quotes", () => {
    expect(md([...body(72, 100, 3), g("The term \u2018\u2018corporate social responsibility\u2019\u2019 is in vogue.", 72, 140), ...body(72, 152, 3)])).toContain("The term \u201ccorporate social responsibility\u201d is in vogue.");
  });

  test("TeX's spacing accents join the letter after them when such a letter exists", () => {
    expect(composeAccents("We also thank J\u00b4an Min\u00b4a\u02c7c for")).toBe("We also thank J\u00e1n Min\u00e1\u010d for");
    expect(composeAccents("don\u00b4t")).toBe("don\u00b4t");
  });

  test("a large line starting in lower case continues a sentence and is no heading", () => {
    const out = md([...body(72, 100, 8), g("any\u2014was very trifling. Since the use of bones has", 72, 200, 13), ...body(72, 215, 8, 80, 2)]);
    expect(out).not.toMatch(/^#+ any/m);
    expect(md([g("Quarterly Report", 72, 80, 24), ...body(72, 120, 8)])).toMatch(/^#{1,3} Quarterly Report$/m);
  });
});

describe("tables", () => {
  /** A row of cells at the given x positions on one baseline. */
  const row = (y: number, cells: Array<[string, number]>, size = 9) => cells.map(([t, x]) => g(t, x, y, size));
  const COLS = [72, 200, 300, 360, 420, 480];

  test("a wrapped first-column cell and a label line inside the table do not break it", () => {
    const glyphs = [
      ...body(72, 80, 4),
      ...row(140, ["Source", "Type", "Tokens", "Words", "Bytes", "Docs"].map((t, i) => [t, COLS[i]!] as [string, number])),
      ...row(152, [["Pretraining Mix", 200]]),
      ...row(164, ["DCLM-Baseline", "Web pages", "3.71T", "3.32T", "21.32T", "2.95B"].map((t, i) => [t, COLS[i]!] as [string, number])),
      ...row(176, ["StarCoder", "Code", "83.0B", "70.0B", "459B", "78.7M"].map((t, i) => [t, COLS[i]!] as [string, number])),
      ...row(186, [["from OLMoE Mix", 72]]),
      ...row(198, ["Algebraic Stack", "Math proofs code", "11.8B", "10.8B", "35.0B", "2.83M"].map((t, i) => [t, COLS[i]!] as [string, number])),
      ...row(210, ["Total", "", "3.90T", "3.48T", "22.38T", "3.08B"].filter((t) => t).map((t) => [t, COLS[["Total", "", "3.90T", "3.48T", "22.38T", "3.08B"].indexOf(t)]!] as [string, number])),
      ...body(72, 240, 4, 80, 2),
    ];
    const out = md(glyphs);
    expect(out).toContain("| Source | Type | Tokens | Words | Bytes | Docs |");
    expect(out).toContain("| DCLM-Baseline | Web pages | 3.71T | 3.32T | 21.32T | 2.95B |");
    expect(out).toContain("| StarCoder from OLMoE Mix | Code | 83.0B |");
    expect(out).toContain("|  | Pretraining Mix |  |");
    expect(out).toContain("| Total |  | 3.90T |");
  });

  test("currency signs set apart from their numbers keep the numbers in their columns", () => {
    const glyphs = [
      ...body(72, 80, 4),
      ...row(140, [["Jan 26, 2025", 300], ["Jan 28, 2024", 400]]),
      ...row(152, [["Cost of revenue", 72], ["$", 300], ["178", 340], ["$", 400], ["141", 440]]),
      ...row(164, [["Research and development", 72], ["3,423", 335], ["2,532", 435]]),
      ...row(176, [["Total", 72], ["$", 300], ["4,737", 335], ["$", 400], ["3,549", 435]]),
      ...body(72, 220, 4, 80, 2),
    ];
    const out = md(glyphs);
    expect(out).toMatch(/\| Research and development \|\s*\| 3,423 \|\s*\| 2,532 \|/);
    expect(out).toMatch(/\| Cost of revenue \| \$ \| 178 \| \$ \| 141 \|/);
  });
});

describe("math in LaTeX", () => {
  /** Runs of a formula: [text, x, baseline offset from y, size]; widths at 0.5 em a character. */
  const formula = (y: number, parts: Array<[string, number, number, number?]>, extra: Partial<Glyphs> = {}) =>
    parts.map(([t, x, dy, size]) => g(t, x, y + dy, size ?? 14.5, { width: t.length * (size ?? 14.5) * 0.55, ...extra }));

  test("exponents raised and smaller stay on their letters, in place: a display equation in $$", () => {
    const eq = formula(300, [["a", 250, 0], ["2", 258, -6, 10.2], ["+", 266, 0], ["b", 278, 0], ["2", 286, -6, 10.2], ["=", 296, 0], ["c", 308, 0], ["2", 316, -6, 10.2]]);
    const out = md([...body(72, 100, 12), ...eq, ...body(72, 340, 6, 80, 3)]);
    expect(out).toContain("\n$$a^{2} + b^{2} = c^{2}$$\n");
    expect(out).not.toMatch(/a2 \+ b2/);
  });

  test("a fraction's numerator and denominator stacked on the line become \\frac, bold letters \\mathbf", () => {
    const eq = [
      ...formula(300, [["∇ ×", 240, 0], ["= −", 275, 0], ["∂", 300, -9.7], ["∂", 302, 9.7], ["t", 310, 9.7]]),
      ...formula(300, [["E", 260, 0], ["B", 308, -9.7]], { bold: true }),
    ];
    const out = md([...body(72, 100, 12), ...eq, ...body(72, 340, 6, 80, 3)]);
    expect(out).toContain("$$\\nabla \\times \\mathbf{E} = - \\frac{\\partial \\mathbf{B}}{\\partial t}$$");
  });

  test("an integral's limits are its index and exponent; a big integral sign makes no heading", () => {
    const eq = formula(300, [["∫", 150, 0, 20], ["a", 158, 13.5, 10.2], ["b", 164, -15.7, 10.2], ["f", 172, 0], ["(", 178, 0], ["x", 183, 0], [")", 189, 0], ["dx", 197, 0], ["=", 214, 0], ["F", 226, 0], ["(", 237, 0], ["b", 242, 0], [") −", 250, 0], ["F", 269, 0], ["(", 280, 0], ["a", 285, 0], [")", 292, 0]]);
    const out = md([...body(72, 100, 12), ...eq, ...body(72, 340, 6, 80, 3)]);
    expect(out).toContain("$$\\int_{a}^{b} f ( x ) dx = F ( b ) - F ( a )$$");
    expect(out).not.toMatch(/^#/m);
  });

  test("a formula inside a sentence is inline $...$, its closing full stop outside; an index carries its prime", () => {
    const line = [
      g("Then", 72, 200, 12),
      ...formula(200, [["λ", 102, 0, 12], ["g", 109.6, 1.8, 9], ["=", 118, 0, 12.5], ["λ", 131, 0, 12], ["g", 138.6, 2.5, 9], ["′", 143.3, -0.1, 7.3], [".", 147, 0, 12]]),
    ];
    const out = md([...body(72, 100, 8), ...line, ...body(72, 224, 6, 80, 3)]);
    expect(out).toContain("Then $\\lambda_{g} = \\lambda_{g^{\\prime}}$.");
  });

  test("displayed equations side by side on three lines are equations, not a table", () => {
    const eqs = [0, 1, 2].flatMap((k) => [
      ...formula(300 + k * 40, [["x", 120, 0], [String(k + 2), 128, -6, 10.2], ["= y", 136, 0]]),
      ...formula(300 + k * 40, [["z", 400, 0], ["i", 408, 2, 10.2], ["= w", 414, 0]]),
    ]);
    const out = md([...body(72, 100, 12), ...eqs, ...body(72, 420, 6, 80, 3)]);
    expect(out).not.toContain("|");
    expect(out).toContain("$$x^{2} = y$$");
    expect(out).toContain("$$z_{i} = w$$");
  });

  test("a formula wrapped onto the next line of a sentence stays inline", () => {
    const out = md([...body(72, 100, 6), g("so the train stands still exactly when the position function equals", 72, 172), ...formula(184, [["s", 72, 0, 10], ["(", 77, 0, 10], ["t", 81, 0, 10], [")", 85, 0, 10], ["= 0.", 90, 0, 10]]), ...body(72, 220, 6, 80, 3)]);
    expect(out).toContain("position function equals $s ( t ) = 0$.");
  });

  test("a table of signed figures stays a table", () => {
    const rows = [["Revenue", "1,204", "−3.1"], ["Costs", "−812", "+2.4"], ["Margin", "392", "−0.7"]].flatMap((r, i) => r.map((t, k) => g(t, [72, 300, 400][k]!, 150 + i * 12)));
    const out = md([...body(72, 100, 4), g("Item", 72, 138), g("2024", 300, 138), g("Change", 400, 138), ...rows, ...body(72, 200, 4)]);
    expect(out).toContain("| Costs | −812 | +2.4 |");
    expect(out).not.toContain("$");
  });
});
