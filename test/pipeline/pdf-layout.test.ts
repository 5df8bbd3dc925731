/**
 * Text layer -> markdown (src/pipeline/pdf/layout.ts) on synthetic glyph runs: page furniture
 * told by the document (issue 14), label/value rows, fake bold, rotated runs, junk OCR layers,
 * and the cases the olmOCR-bench sample showed (bench/quality): drop caps, footnote markers, TeX
 * quotes and accents, headings, paragraphs cut by a column break, a narrow sidebar beside a column.
 */
import { describe, expect, test } from "bun:test";
import { composeAccents, edgeLines, judgeText, layoutPage, repeatedOnce, type Glyphs } from "../../src/pipeline/pdf/layout";
import { sizeDelimiters } from "../../src/pipeline/pdf/math";

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

/** Lays out the pages of a document, each seeing the edge lines of up to two pages either side (as the engine does). */
function mdDoc(pages: Glyphs[][], width = 612, height = 792): string[] {
  const edges = pages.map((p) => edgeLines(p, width, height));
  return pages.map((glyphs, i) => {
    const neighbours = new Map(edges.map((e, j) => [j + 1, e] as const).filter(([n]) => n !== i + 1 && Math.abs(n - (i + 1)) <= 2));
    return layoutPage(glyphs, width, height, SIGNALS, { page: i + 1, neighbours }).markdown;
  });
}

describe("page furniture is decided by the document, not by one page's geometry", () => {
  test("a one-page document loses nothing: sender block in the top margin, signature and footer lines at the bottom", () => {
    const out = md([
      g("Jane Doe", 480, 36),
      g("12 Oak Street", 480, 48),
      g("Springfield, IL 62704", 480, 60),
      ...body(72, 150, 20),
      g("Daniel Brooks", 72, 712),
      g("Head of Facilities", 72, 726),
      g("Revision: 2.4", 72, 760),
      g("10 June 2019", 496, 760),
    ]);
    for (const line of ["Jane Doe", "12 Oak Street", "Springfield, IL 62704", "Daniel Brooks", "Head of Facilities", "Revision: 2.4", "10 June 2019"]) expect(out).toContain(line);
  });

  test("a line alone at the top of the last page is kept: it repeats nowhere", () => {
    const [, second] = mdDoc([[...body(72, 100, 50)], [g("Sincerely,", 72, 60), g("Daniel Brooks", 72, 110)]]);
    expect(second).toContain("Sincerely,");
    expect(second).toContain("Daniel Brooks");
  });

  test("a certificate's bottom row (label ... value, a year) is kept", () => {
    const out = md([g("Certificate of Completion", 200, 150, 32), g("Maria Gonzalez", 300, 270, 28), g("Date: 5 June 2024", 90, 560, 12), g("Instructor: Mark Lee", 590, 560, 12)], 792, 612);
    expect(out).toContain("Date: 5 June 2024");
    expect(out).toContain("Instructor: Mark Lee");
  });

  test("a running head and 'Page N of M' repeated on every page are dropped; the body is kept", () => {
    const pages = [1, 2, 3].map((n) => [g("Annual Report 2024", 260, 40, 9), ...body(72, 100, 40, 80, n), g(`Page ${n} of 3`, 280, 760, 9)]);
    const out = mdDoc(pages);
    for (const page of out) {
      expect(page).not.toContain("Annual Report");
      expect(page).not.toMatch(/Page \d of 3/);
      expect(page).toContain("the report explains");
    }
  });

  test("bare page numbers that count with the pages are dropped, alternating odd/even heads too", () => {
    const pages = [1, 2, 3, 4].map((n) => [g(n % 2 ? "Annual Review 2024" : "Harbour Authority", n % 2 ? 450 : 72, 40, 9), ...body(72, 100, 40), g(String(n + 6), 300, 760, 9)]);
    const out = mdDoc(pages);
    out.forEach((page, i) => {
      expect(page).not.toContain("Annual Review");
      expect(page).not.toContain("Harbour Authority");
      expect(page).not.toMatch(new RegExp(`(^|\\n)${i + 7}($|\\n)`));
    });
  });

  test("numbers that do not count with the pages are kept", () => {
    const out = mdDoc([1, 2].map(() => [...body(72, 100, 40), g("42", 300, 760, 9)]));
    for (const page of out) expect(page).toMatch(/(^|\n)42$/);
  });

  test("the page's own number on a one-page document is furniture", () => {
    expect(md([...body(72, 100, 40), g("1", 300, 760, 9)])).not.toMatch(/\n1$/);
  });

  test("table cells are never page numbers: a table's total row at the foot of the page is kept whole", () => {
    const row = (y: number, cells: Array<[string, number]>) => cells.map(([t, x]) => g(t, x, y));
    const out = md([...body(72, 100, 30), ...row(680, [["Item", 72], ["Qty", 400]]), ...row(700, [["Bolts", 72], ["4", 400]]), ...row(720, [["Nuts", 72], ["8", 400]]), ...row(740, [["Total", 72], ["12", 400]])]);
    expect(out).toMatch(/\| Total \| 12 \|/);
  });

  test("a table header repeated at the top of every page is kept", () => {
    const header = () => [g("Description", 72, 40), g("Qty", 300, 40), g("Amount", 470, 40)];
    const rows = (n: number) => Array.from({ length: 30 }, (_, i) => [g(`Service ${n * 30 + i}`, 72, 58 + i * 18), g(String(1 + (i % 3)), 300, 58 + i * 18), g(`${40 + i}.00`, 470, 58 + i * 18)]).flat();
    for (const page of mdDoc([0, 1, 2].map((n) => [...header(), ...rows(n)]))) expect(page).toContain("| Description | Qty | Amount |");
  });

  test("a book's running head (page number, title, chapter) is dropped without a gap when the pages show it", () => {
    const pages = [400, 401, 402].map((n) => [
      g(String(n), 29, 29.4, 3),
      g("BRITISH HUSBANDRY.", 70, 29.3, 3.5),
      g("[Ch. XIX.", 141, 29.5, 3),
      ...Array.from({ length: 30 }, (_, i) => g("general, the turnip crop has been, in many instances, ten-fold", 29, 36 + i * 6.5, 3.3)),
    ]);
    for (const page of mdDoc(pages, 180, 300)) {
      expect(page).not.toContain("HUSBANDRY");
      expect(page).not.toContain("XIX");
      expect(page).toContain("turnip crop");
    }
  });

  test("a repository's download stamp is not part of the document", () => {
    const out = md([...body(72, 100, 40), g("Downloaded from http://tobaccocontrol.bmj.com/ on July 8, 2025 - Published by group.bmj.com", 58, 770, 7)]);
    expect(out).not.toContain("Downloaded from");
    // Up the side margin, as repositories stamp it.
    const side = md([...body(72, 100, 40), g("Downloaded from jipm.irandoc.ac.ir at 6:51 IRST on Monday November 11th 2019", 20, 600, 7, { horizontal: false, angle: 90 })]);
    expect(side).not.toContain("Downloaded from");
    expect(md([...body(72, 100, 40), g("Downloaded from the archive, the files were checked twice.", 72, 600)])).toContain("Downloaded from the archive");
  });
});

describe("label/value rows and overprinted text", () => {
  test("a label/value block stays together row by row ('Subtotal 385.00'), not two columns", () => {
    const pairs = [["Subtotal", "385.00"], ["VAT 20%", "77.00"], ["Delivery", "12.00"], ["Amount due", "474.00"]];
    const out = md([...body(72, 100, 6), ...pairs.flatMap(([l, v], i) => [g(l!, 72, 200 + i * 18), g(v!, 270, 200 + i * 18)]), ...body(72, 300, 6, 80, 3)]);
    for (const [l, v] of pairs) expect(out).toMatch(new RegExp(`${l}[ |]+${v!.replace(".", "\\.")}`));
  });

  test("fake bold (every glyph drawn three times, as pdfjs cuts it into overlapping runs) reads once", () => {
    // pdfjs's runs for "Test" drawn glyph by glyph three times, 0.3 pt apart (Helvetica 14 pt).
    const runs: Array<[string, number, number]> = [["T", 72, 8.55], ["T", 72.3, 8.55], ["Te", 72.6, 15.74], ["e", 80.85, 7.78], ["es", 81.15, 14.18], ["s", 88.64, 7], ["st", 88.94, 10.29], ["t", 95.64, 3.89], ["t", 95.94, 3.89]];
    const out = md([...runs.map(([t, x, w]) => g(t, x, 60, 14, { width: w })), ...body(72, 100, 10)]);
    expect(out).toMatch(/^# Test$/m);
    expect(repeatedOnce("BBoolldd  ttiigghhtt")).toBe("Bold tight");
    expect(repeatedOnce("Test headingTest headingTest heading")).toBe("Test heading");
    expect(repeatedOnce("Bookkeeper")).toBeNull();
  });
});

describe("rotated text", () => {
  test("a table printed up the page is read as the landscape page it is", () => {
    // Landscape (X, top) drawn rotated 90 degrees: the run starts at page (top, 792 - X) and reads upwards.
    const up = (t: string, X: number, top: number, size = 11) => g(t, top, 792 - X, size, { horizontal: false, angle: 90 });
    const rows = [["Region", "Q1", "Q2"], ["North", "1,204", "1,310"], ["South", "980", "1,022"], ["Total", "2,184", "2,332"]];
    const out = md([up("Sales by region and quarter", 72, 60, 16), ...rows.flatMap((r, i) => r.map((c, k) => up(c, 72 + k * 110, 110 + i * 22))), ...Array.from({ length: 4 }, (_, i) => up("Figures are in thousands of units and rounded to the nearest unit.", 72, 230 + i * 14))]);
    expect(out).toContain("Sales by region and quarter");
    expect(out).toContain("| North | 1,204 | 1,310 |");
    expect(out).toContain("| Total | 2,184 | 2,332 |");
  });

  test("rotated column headers are read into the table's header row", () => {
    const up = (t: string, x: number, y: number) => g(t, x, y, 10, { horizontal: false, angle: 90 });
    const out = md([
      ...body(72, 100, 6),
      g("Item", 72, 250),
      up("Quantity", 300, 250),
      up("Weight", 380, 250),
      ...[["Bolts", "500", "2.5"], ["Nuts", "800", "1.9"], ["Washers", "1200", "0.8"]].flatMap((r, i) => r.map((c, k) => g(c, k === 0 ? 72 : 296 + (k - 1) * 80, 270 + i * 16))),
    ]);
    expect(out).toContain("| Item | Quantity | Weight |");
    expect(out).toContain("| Bolts | 500 | 2.5 |");
  });

  test("column headings set at 45 degrees stay over their columns", () => {
    const slant = (t: string, x: number) => g(t, x, 250, 9, { horizontal: false, angle: 45, width: t.length * 4.5 });
    const out = md([
      ...body(72, 100, 6),
      g("Topic", 72, 250),
      slant("Procedure", 300),
      slant("Completion", 360),
      ...[["Pick object", "0.90", "0.80"], ["Read posts", "1.00", "0.90"], ["Open doors", "0.58", "0.20"]].flatMap((r, i) => r.map((c, k) => g(c, k === 0 ? 72 : 300 + (k - 1) * 60, 270 + i * 16))),
    ]);
    expect(out).toContain("| Topic | Procedure | Completion |");
  });

  test("a diagonal watermark is read after the page's text and does not cut its columns apart", () => {
    const left = body(72, 100, 30, 40).map((x, i) => (i === 29 ? { ...x, str: "Left column ends here with this line" } : x));
    const right = body(330, 100, 30, 40, 5).map((x, i) => (i === 0 ? { ...x, str: "Right column starts here and goes on" } : x));
    const out = md([...left, ...right, g("DRAFT COPY NOT FOR CIRCULATION", 150, 300, 20, { horizontal: false, angle: 45, width: 420 })]);
    expect(out.indexOf("Right column starts here")).toBeGreaterThan(out.indexOf("Left column ends here"));
    expect(out.trim().endsWith("DRAFT COPY NOT FOR CIRCULATION")).toBe(true);
  });
});

describe("junk text layers", () => {
  test("an OCR layer of fragments (a bad earlier OCR of handwriting) is not trusted", () => {
    const junk = "at - be EE Er =e I — —— i Daibongtion ir nly; 7, i a 0 Gn A So 5 yd prs ny Sat Ey ws df--evar ta 27H SEF Y es 5 Lrt 22 CAA ot rr He sles plavielod pA + itn tee TI Pree, tid feve Ker (aces Cty SAT EW fon linc rls";
    const ocrLayer = { visibleText: 0, invisibleText: 20, images: 1 };
    expect(judgeText(junk, ocrLayer)).toBe(false);
    const good = "The committee met on Tuesday to review the plans for the new building and agreed that the work should begin in the spring. Every request is checked against the budget.";
    expect(judgeText(good, ocrLayer)).toBe(true);
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

describe("headings", () => {
  test("a line of body text is no heading for one big glyph in it", () => {
    const out = md([...body(72, 100, 8), g("\u2211", 72, 203, 24), g("of the monthly figures gives the total for the whole period", 90, 200), ...body(72, 220, 6, 80, 2)]);
    expect(out).not.toMatch(/^#/m);
    expect(out).toContain("of the monthly figures gives the total");
  });

  test("a bold row of column names over a single row of figures is no heading", () => {
    const head = [g("Description", 72, 200, 10, { bold: true }), g("Qty", 330, 200, 10, { bold: true }), g("Price", 450, 200, 10, { bold: true })];
    const out = md([...body(72, 100, 6), ...head, g("Annual maintenance visit", 72, 214), g("1", 330, 214), g("385.00", 450, 214), ...body(72, 250, 6, 80, 2)]);
    expect(out).not.toMatch(/^#/m);
    expect(out).toContain("Description");
  });

  test("a paragraph starting with '#' (a table's number column name) is escaped, not a markdown heading", () => {
    const out = md([...body(72, 100, 6), g("#", 72, 200), g("Unit Test Topic", 90, 200), ...body(72, 220, 6, 80, 2)]);
    expect(out).toContain("\n\\# Unit Test Topic");
    expect(out).not.toMatch(/^#/m);
  });

  test("a numbered section title with its number set apart is still a heading", () => {
    expect(md([...body(72, 100, 6), g("2", 72, 200, 14, { bold: true }), g("Methods", 100, 200, 14, { bold: true }), ...body(72, 220, 6, 80, 2)])).toMatch(/^#{1,3} 2 Methods$/m);
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

  test("function names are upright, delimiters around an index are sized, an accent glyph marks its letter", () => {
    const line = [
      g("where", 72, 200, 12),
      ...formula(200, [["u", 106, 0, 12], ["∈", 116, 0, 12.5], ["(", 128, 0, 12.5], ["R", 133, 0, 12], ["/Ann", 141, 0, 12], ["R", 172, 2.1, 9], ["(", 179, 0, 12.5], ["x", 184, 0, 12], ["i", 190.5, 2.3, 9], ["))", 194, 0, 12.5], ["×", 204, -4.3, 9.3]]),
      g("and", 216, 200, 12),
      ...formula(200, [["s", 240, 0, 12], ["=", 250, 0, 12.5], ["ˆ", 262.3, -0.1, 12], ["ux", 260, 0, 12], ["i", 273.3, 2.3, 9]]),
      g("with f(x) plain", 290, 200, 12),
    ];
    const out = md([...body(72, 100, 8), ...line, ...body(72, 224, 6, 80, 3)]);
    expect(out).toContain("where $u \\in \\left( R / \\operatorname{Ann}_{R} \\left( x_{i} \\right) \\right)^{\\times}$ and $s = \\hat{u}x_{i}$ with f(x) plain");
    expect(sizeDelimiters("f ( x ) = \\sin ( x_{1} )")).toBe("f ( x ) = \\sin \\left( x_{1} \\right)");
  });

  test("a table of signed figures stays a table", () => {
    const rows = [["Revenue", "1,204", "−3.1"], ["Costs", "−812", "+2.4"], ["Margin", "392", "−0.7"]].flatMap((r, i) => r.map((t, k) => g(t, [72, 300, 400][k]!, 150 + i * 12)));
    const out = md([...body(72, 100, 4), g("Item", 72, 138), g("2024", 300, 138), g("Change", 400, 138), ...rows, ...body(72, 200, 4)]);
    expect(out).toContain("| Costs | −812 | +2.4 |");
    expect(out).not.toContain("$");
  });
});

describe("right-to-left text", () => {
  /** Words of a right-to-left line, placed from the right edge leftwards as they lie on the page. */
  const rtlLine = (words: string[], y: number, right = 540, size = 10) => {
    let x = right;
    return words.map((w) => {
      const width = [...w].length * size * 0.5;
      x -= width;
      const run = g(w, x, y, size, { width });
      x -= size * 0.3;
      return run;
    });
  };
  const HEBREW = "הדוח מסביר איך קוראים מסמכים ולמה הסדר של הטקסט חשוב לאנשים שמחפשים בהם".split(" ");
  const paragraph = (y: number, lines: number) => Array.from({ length: lines }, (_, i) => rtlLine(HEBREW, y + i * 12)).flat();

  test("a right-to-left line keeps its logical word order", () => {
    const out = md([...paragraph(100, 6), ...rtlLine(["שלום", "עולם", "יפה"], 190), ...paragraph(214, 4)]);
    expect(out).toContain("שלום עולם יפה");
    expect(out).toContain(HEBREW.join(" "));
  });

  test("Latin words and numbers inside a right-to-left line read left to right", () => {
    // On the page: "SCOPUS ו LISA :נמצא ב" ... "1387/02/01 :תאריך", the date in five runs.
    const line = [...rtlLine(["נמצא", "ב:"], 190), g("LISA", 400, 190), g("ו", 390, 190, 10, { width: 5 }), g("SCOPUS", 350, 190)];
    const out = md([...paragraph(100, 6), ...line, ...paragraph(226, 4)]);
    expect(out).toContain("נמצא ב: LISA ו SCOPUS");
    const date = [g("תאריך:", 520, 202, 10, { width: 30 }), g("1387", 478, 202, 10, { width: 20 }), g("/", 498, 202, 10, { width: 3 }), g("02", 501, 202, 10, { width: 10 }), g("/", 511, 202, 10, { width: 3 }), g("01", 514, 202, 10, { width: 4 })];
    expect(md([...paragraph(100, 6), ...date, ...paragraph(226, 4)])).toContain("תאריך: 1387/02/01");
  });

  test("Arabic presentation forms read as the letters they show", () => {
    const out = md([...paragraph(100, 6), ...rtlLine(["\ufecb\ufee0\ufee4\ufef0", "\ufeed"], 190), ...paragraph(214, 4)]);
    expect(out).toContain("\u0639\u0644\u0645\u0649 \u0648");
  });
});

