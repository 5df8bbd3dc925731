/**
 * The olmOCR-bench checker (bench/quality/checker.ts): each test type with markdown that must
 * pass and markdown that must fail, built from rows of the sample's dataset.jsonl; the fuzzy
 * matching and table parsing underneath; and olmOCR's own outputs scored where the sample exists.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hasShared, sharedPath } from "../helpers/shared";
import {
  extractEquations,
  nearMatchStarts,
  ngramRepeats,
  normalizeText,
  parseHtmlTables,
  parseMarkdownTables,
  parseTests,
  partialRatio,
  ratio,
  runTest,
  scoreCandidate,
  summarise,
  withBaselines,
  type BenchTest,
} from "../../bench/quality/checker";

const row = (json: string) => JSON.parse(json) as BenchTest;
const passes = async (t: BenchTest, md: string) => (await runTest(t, md)).passed;

describe("normalisation and fuzzy matching", () => {
  test("normalizeText drops emphasis, collapses whitespace and makes quotes and dashes ASCII", () => {
    expect(normalizeText("**Bold** and _italic_ and *also*\n\n  spaced")).toBe("Bold and italic and also spaced");
    expect(normalizeText("\u201cquoted\u201d \u2014 it\u2019s \u2212 1 \u00b5m")).toBe('"quoted" - it\'s - 1 \u03bcm');
    expect(normalizeText("a<br>b<br/>c <b>d</b>")).toBe("a b c d");
    expect(normalizeText("e\u0301")).toBe("\u00e9");
  });

  test("ratio is 2 * LCS / total length", () => {
    expect(ratio("abcd", "abce")).toBe(0.75);
    expect(ratio("", "")).toBe(1);
    expect(ratio("this is a test", "this is a test!")).toBeCloseTo(0.9655, 3);
  });

  test("partialRatio finds the best window of the longer string", () => {
    expect(partialRatio("test", "this is a test!")).toBe(1);
    expect(partialRatio("this is a test!", "test")).toBe(1);
    // One substitution in a 10-character query: 2 * 9 / 20.
    expect(partialRatio("abcdefghij", "xxxx abcdefgXij yyyy")).toBeCloseTo(0.9, 5);
    // The query sliding in at the start: its first character missing.
    expect(partialRatio("Xabcdefghi", "abcdefghi and more")).toBeCloseTo(18 / 19, 5);
    expect(partialRatio("zzzz", "abcdef")).toBe(0);
  });

  test("nearMatchStarts finds approximate occurrences within a Levenshtein distance", () => {
    expect(nearMatchStarts("abc", "xxabcxxabc", 0)).toEqual([2, 7]);
    expect(nearMatchStarts("hello world", "say helo world now", 0)).toEqual([]);
    const starts = nearMatchStarts("hello world", "say helo world now", 1);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts).toContain(4);
    expect(nearMatchStarts("hello world", "say hexxo worxd now", 2)).toEqual([]);
  });

  test("ngramRepeats counts back-to-back repeats of the final n-grams", () => {
    expect(ngramRepeats("abab", 3)).toEqual([1, 2, 1]);
    expect(ngramRepeats("abcabcabcabc", 5)).toEqual([1, 1, 4, 1, 1]);
    expect(ngramRepeats("", 3)).toEqual([0, 0, 0]);
  });
});

describe("present", () => {
  const t = row(`{"pdf": "multi_column_miss.pdf", "page": 1, "id": "multi_column_miss_00", "type": "present", "text": "Corporate social responsibility and the tobacco industry: hope or hype?"}`);
  const fuzzy = row(
    `{"pdf": "multi_column_miss.pdf", "page": 1, "id": "multi_column_miss_02", "type": "present", "text": "The term \\"corporate social responsibility\\" is in vogue at the moment but as a concept it is vague and means different things to different people.", "max_diffs": 2}`,
  );

  test("passes when the text is there, across line breaks and emphasis", async () => {
    expect(await passes(t, "# **Corporate social responsibility and the tobacco\nindustry: hope or hype?**\n\nBody.")).toBe(true);
  });

  test("fails when the text is missing or cut by something in the middle", async () => {
    expect(await passes(t, "Corporate social responsibility and the\n\nDownloaded from x\n\ntobacco industry: hope or hype?")).toBe(false);
    expect(await passes(t, "")).toBe(false);
  });

  test("max_diffs tolerates that many edits and no more", async () => {
    const good = "Intro. The term \u201ccorporate social responsibilty\u201d is in vogue at the moment but as a concept it is vague and means different things to different people. More.";
    expect(await passes(fuzzy, good)).toBe(true);
    const bad = "The term corporate social responsibility is in vogue at the moment but as concept it is vague, meaning different things to different people.";
    expect(await passes(fuzzy, bad)).toBe(false);
  });

  test("case_sensitive false ignores case", async () => {
    const t2 = row(`{"pdf": "buildingnotes.pdf", "page": 1, "id": "building_notes_00", "type": "present", "text": "Master Bath", "case_sensitive": false}`);
    expect(await passes(t2, "MASTER BATH 12x10")).toBe(true);
    expect(await passes(t2, "MASTER BED 12x10")).toBe(false);
  });
});

describe("absent", () => {
  const t = row(`{"pdf": "multi_column_miss.pdf", "page": 1, "id": "multi_column_miss_04", "type": "absent", "text": "Downloaded from http://tobaccocontrol.bmj.com/"}`);
  test("passes when a running footer is left out, fails when it is kept", async () => {
    expect(await passes(t, "Body text of the article.")).toBe(true);
    expect(await passes(t, "Body text.\n\nDownloaded from http://tobaccocontrol.bmj.com/ on May 1")).toBe(false);
  });

  test("last_n looks only at the end of the page (a page number)", async () => {
    const pageNo = row(`{"pdf": "x.pdf", "page": 1, "id": "x_02c", "type": "absent", "text": "1", "last_n": 20}`);
    expect(await passes(pageNo, "Section 1 starts here and the page ends with text only.")).toBe(true);
    expect(await passes(pageNo, "Section text that ends with a page number.\n\n1")).toBe(false);
  });

  test("a page much shorter than the text cannot contain it", async () => {
    expect(await passes(t, "\n")).toBe(true);
  });

  test("max_diffs: a near copy still counts as present", async () => {
    const fuzzy = row(`{"pdf": "y.pdf", "page": 1, "id": "y", "type": "absent", "text": "Downloaded from jipm.irandoc.ac.ir at 6:51 IRST", "max_diffs": 4}`);
    expect(await passes(fuzzy, "Downloaded from jipm.irandoc.ac.ir at 6.51 IRST on Monday")).toBe(false);
    expect(await passes(fuzzy, "An article about information science.")).toBe(true);
  });
});

describe("order", () => {
  const t = row(`{"pdf": "mathfuncs.pdf", "page": 1, "id": "mathfuncs_00", "type": "order", "before": "Euler's Identity", "after": "Pythagorean Theorem"}`);
  test("passes when before comes first", async () => {
    expect(await passes(t, "## 1. Euler\u2019s Identity\n\n...\n\n## 2. Pythagorean Theorem")).toBe(true);
  });
  test("fails when the order is swapped or a side is missing", async () => {
    expect(await passes(t, "## 2. Pythagorean Theorem\n\n## 1. Euler's Identity")).toBe(false);
    expect(await passes(t, "## 1. Euler's Identity")).toBe(false);
  });
  test("max_diffs allows small edits in either text", async () => {
    const fuzzy = row(`{"pdf": "m.pdf", "page": 1, "id": "m", "type": "order", "before": "It now looks like that with vigilance", "after": "this leaves BAT to argue why it should not", "max_diffs": 2}`);
    expect(await passes(fuzzy, "It now 1ooks like that with vigilance ... this leaves BAT to argue why it shou1d not")).toBe(true);
    expect(await passes(fuzzy, "this leaves BAT to argue why it should not ... It now looks like that with vigilance")).toBe(false);
  });
});

describe("table", () => {
  const good = [
    "| Source | Type | Tokens | Words | Bytes | Docs |",
    "|---|---|---|---|---|---|",
    "| DCLM-Baseline | Web pages | 3.71T | 3.32T | 21.32T | 2.95B |",
    "| Algebraic Stack | Math proofs code | 11.8B | 10.8B | 35.0B | 2.83M |",
    "| Arxiv | STEM papers | 3.7B | 3.2B | 12.2B | 1.9M |",
  ].join("\n");
  const tests = {
    left: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "olmo2-pg4_table01", "type": "table", "cell": "3.32T", "left": "3.71T"}`),
    right: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "olmo2-pg4_table02", "type": "table", "cell": "3.32T", "right": "21.32T"}`),
    top: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "olmo2-pg4_table05", "type": "table", "cell": "3.32T", "top_heading": "Words"}`),
    leftHeading: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "olmo2-pg4_table08", "type": "table", "cell": "Math proofs code", "left_heading": "Algebraic Stack"}`),
    down: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "olmo2-pg4_table04", "type": "table", "cell": "11.8B", "down": "3.7B"}`),
    up: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "x", "type": "table", "cell": "3.7B", "up": "11.8B"}`),
    cell: row(`{"pdf": "olmo2-pg4.pdf", "page": 1, "id": "olmo2-pg4_table00", "type": "table", "cell": "Type"}`),
  };

  test("a GFM table with the right neighbours passes every relation", async () => {
    for (const t of Object.values(tests)) expect([t.id, await passes(t, `Table 1 Composition.\n\n${good}\n\nText after.`)]).toEqual([t.id, true]);
  });

  test("the same text without a table, or with columns swapped, fails", async () => {
    const plain = good.replace(/\|/g, " ").replace(/-{3,}/g, "");
    for (const t of Object.values(tests)) expect(await passes(t, plain)).toBe(false);
    const swapped = good
      .split("\n")
      .map((l) => {
        const c = l.split("|");
        [c[3], c[4]] = [c[4]!, c[3]!];
        return c.join("|");
      })
      .join("\n");
    expect(await passes(tests.left, swapped)).toBe(false);
    expect(await passes(tests.top, swapped)).toBe(true); // the heading moved with its column
    expect(await passes(tests.right, swapped)).toBe(false);
  });

  test("HTML tables with th, thead, rowspan and colspan", async () => {
    const html = `<table><thead><tr><th>Source</th><th>Type</th><th colspan="2">Size</th></tr></thead>
      <tr><td rowspan="2">DCLM</td><td>Web&nbsp;pages</td><td>3.71T</td><td>3.32T</td></tr>
      <tr><td>Code<br>files</td><td>83.0B</td><td>70.0B</td></tr></table>`;
    const [t] = parseHtmlTables(html);
    expect(t).toBeDefined();
    expect([...t!.cells.values()]).toContain("Code\nfiles");
    expect(await passes(row(`{"pdf": "a", "page": 1, "id": "h1", "type": "table", "cell": "83.0B", "left": "Code files"}`), html)).toBe(true);
    expect(await passes(row(`{"pdf": "a", "page": 1, "id": "h2", "type": "table", "cell": "83.0B", "left_heading": "DCLM"}`), html)).toBe(true);
    expect(await passes(row(`{"pdf": "a", "page": 1, "id": "h3", "type": "table", "cell": "70.0B", "top_heading": "Size"}`), html)).toBe(true);
    expect(await passes(row(`{"pdf": "a", "page": 1, "id": "h4", "type": "table", "cell": "70.0B", "top_heading": "Type"}`), html)).toBe(false);
  });

  test("markdown table parsing skips the separator and trims outer pipes", () => {
    const [t] = parseMarkdownTables("| a | b |\n| :-- | --: |\n| 1 | 2 |");
    expect([...t!.cells.entries()]).toEqual([
      ["0,0", "a"],
      ["0,1", "b"],
      ["1,0", "1"],
      ["1,1", "2"],
    ]);
    expect(parseMarkdownTables("just a | pipe")).toEqual([]);
  });
});

describe("math", () => {
  const euler = row(`{"pdf": "mathfuncs.pdf", "page": 1, "id": "mathfuncs_03", "type": "math", "math": "e^{i \\\\pi}+1=0"}`);
  const maxwell = row(`{"pdf": "mathfuncs.pdf", "page": 1, "id": "mathfuncs_06", "type": "math", "math": "\\\\nabla \\\\times \\\\mathbf{E}=-\\\\frac{\\\\partial \\\\mathbf{B}}{\\\\partial t}"}`);

  test("extracts equations in olmOCR's delimiter order", () => {
    expect(extractEquations("a \\(x\\) b \\[y\\] c $$z$$ d $w$")).toEqual(["x", "y", "z", "w"]);
    expect(extractEquations("cost $5 and $6", true)).toEqual([]);
  });

  test("the same formula written differently renders the same and passes", async () => {
    expect(await passes(euler, "Euler: \\( e^{i\\pi} + 1 = 0 \\)")).toBe(true);
    expect(await passes(euler, "$$e^{i \\pi}+1=0$$")).toBe(true);
    expect(await passes(maxwell, "\\[\\nabla \\times \\mathbf{E} = -\\frac{\\partial \\mathbf{B}}{\\partial t}\\]")).toBe(true);
    // Inside an align* block: the reference's MathML is part of the hypothesis's.
    expect(await passes(euler, "\\[\\begin{align*}e^{i\\pi}+1=0\\end{align*}\\]")).toBe(true);
    // But not when other terms share its row: the comparison is of whole MathML subtrees.
    expect(await passes(euler, "\\[ x = 1, \\quad e^{i\\pi}+1=0 \\]")).toBe(false);
  });

  test("a different formula, or the formula as plain text, fails", async () => {
    expect(await passes(euler, "\\( e^{i\\pi} - 1 = 0 \\)")).toBe(false);
    expect(await passes(euler, "e^{iπ} + 1 = 0")).toBe(false);
    expect(await passes(maxwell, "\\( \\nabla \\cdot \\mathbf{E} = \\frac{\\rho}{\\varepsilon_0} \\)")).toBe(false);
  });
});

describe("baseline", () => {
  const blank = row(`{"pdf": "blank_book_pg1.pdf", "page": 1, "id": "test1_blank", "type": "baseline", "checked": "verified", "max_length": 10}`);
  const base = row(`{"pdf": "x.pdf", "page": 1, "id": "x_baseline", "type": "baseline"}`);
  test("a blank page passes with nothing or almost nothing, fails with text", async () => {
    expect(await passes(blank, "")).toBe(true);
    expect(await passes(blank, "![figure](x.png)\n\n12")).toBe(false); // "figure", "x", "png", "12" count
    expect(await passes(blank, "- 12 -")).toBe(true);
    expect(await passes(blank, "The quick brown fox")).toBe(false);
  });
  test("a page with text passes; empty, endlessly repeating or CJK output fails", async () => {
    expect(await passes(base, "A normal page of text.")).toBe(true);
    expect(await passes(base, "   \n\n")).toBe(false);
    expect(await passes(base, "Text then " + "la ".repeat(40))).toBe(false);
    expect(await passes(base, "Text with \u4e2d\u6587")).toBe(false);
  });
});

describe("loading and scoring", () => {
  test("parseTests skips blank lines and withBaselines adds one per PDF lacking one", () => {
    const tests = parseTests(`{"pdf": "a.pdf", "page": 1, "id": "a1", "type": "present", "text": "x"}\n\n{"pdf": "b.pdf", "page": 1, "id": "b1", "type": "baseline", "max_length": 5}\n`, "d.jsonl");
    expect(tests.map((t) => t.id)).toEqual(["a1", "b1"]);
    const all = withBaselines(tests, ["a.pdf", "b.pdf", "c.pdf"]);
    expect(all.map((t) => t.id)).toEqual(["a1", "b1", "a.pdf_baseline", "c.pdf_baseline"]);
    expect(() => parseTests(`{"pdf": "a.pdf", "id": "a1", "type": "nonsense"}`, "d.jsonl")).toThrow();
  });

  test("scoreCandidate: majority of repeats, missing pages fail, summary per type", async () => {
    const tests = parseTests(
      [`{"pdf": "a.pdf", "page": 1, "id": "p", "type": "present", "text": "hello"}`, `{"pdf": "a.pdf", "page": 2, "id": "q", "type": "absent", "text": "footer"}`, `{"pdf": "b.pdf", "page": 1, "id": "r", "type": "present", "text": "x"}`].join("\n"),
      "d.jsonl",
    );
    const pages: Record<string, string[]> = { "a.pdf#1": ["hello", "hello", "bye"], "a.pdf#2": ["footer"] };
    const results = await scoreCandidate(tests, (pdf, page) => pages[`${pdf}#${page}`] ?? null);
    expect(results.map((r) => r.passed)).toEqual([true, false, false]);
    expect(results[2]!.explanation).toBe("page missing");
    const s = summarise(results);
    expect(s.byType).toEqual({ present: { passed: 1, total: 2 }, absent: { passed: 0, total: 1 } });
    expect(s.passed).toBe(1);
  });
});

const SAMPLE = sharedPath("benchmarks/olmocr-bench-sample");
describe.skipIf(!hasShared("benchmarks/olmocr-bench-sample/dataset.jsonl"))("olmOCR's own outputs in the sample", () => {
  test("known-good markdown from the peer passes its tables, maths and order tests", async () => {
    const tests = parseTests(readFileSync(join(SAMPLE, "dataset.jsonl"), "utf8"), "dataset.jsonl");
    const read = (pdf: string, page: number) => {
      const f = join(SAMPLE, "olmocr_pipeline", `${pdf.replace(/\.pdf$/, "")}_pg${page}_repeat1.md`);
      return existsSync(f) ? [readFileSync(f, "utf8")] : null;
    };
    const results = await scoreCandidate(tests, read);
    const byId = new Map(results.map((r) => [r.test.id, r.passed]));
    for (const id of ["olmo2-pg4_table01", "olmo2-pg4_table05", "mathfuncs_00", "mathfuncs_03", "mathfuncs_05", "earnings_table02", "multi_column_miss_00"]) {
      expect([id, byId.get(id)]).toEqual([id, true]);
    }
    // A mismatch: olmOCR's output scored against another PDF's page fails.
    const wrong = await scoreCandidate(
      tests.filter((t) => t.pdf === "mathfuncs.pdf"),
      () => read("earnings.pdf", 1),
    );
    expect(wrong.every((r) => !r.passed)).toBe(true);
  });
});
