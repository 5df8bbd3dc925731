/**
 * Prints checker results side by side: per test type and overall, each candidate's pass rate on
 * the same tests; then the tests a candidate failed with the checker's reason. Plain aligned
 * columns for the terminal (as bench/ocr.ts and bench/render.ts print), or a GFM table for
 * docs/BENCHMARKS.md.
 */
import { TEST_TYPES, summarise, type TestResult } from "./checker";

export interface Candidate {
  name: string;
  results: TestResult[];
}

const pct = (passed: number, total: number) => (total ? `${((100 * passed) / total).toFixed(1)}%` : "-");

function rows(candidates: Candidate[]): string[][] {
  const sums = candidates.map((c) => summarise(c.results));
  const out: string[][] = [["test type", "tests", ...candidates.map((c) => c.name)]];
  const types = TEST_TYPES.filter((t) => sums.some((s) => s.byType[t]));
  for (const type of types) {
    const total = sums[0]!.byType[type]?.total ?? 0;
    out.push([type, String(total), ...sums.map((s) => (s.byType[type] ? `${pct(s.byType[type]!.passed, s.byType[type]!.total)} (${s.byType[type]!.passed})` : "-"))]);
  }
  const pao = (s: ReturnType<typeof summarise>) => {
    const parts = ["present", "absent", "order"].map((t) => s.byType[t] ?? { passed: 0, total: 0 });
    return { passed: parts.reduce((a, p) => a + p.passed, 0), total: parts.reduce((a, p) => a + p.total, 0) };
  };
  const p0 = pao(sums[0]!);
  out.push(["present+absent+order", String(p0.total), ...sums.map((s) => `${pct(pao(s).passed, pao(s).total)} (${pao(s).passed})`)]);
  out.push(["overall (all tests)", String(sums[0]!.total), ...sums.map((s) => `${pct(s.passed, s.total)} (${s.passed})`)]);
  out.push(["overall (olmOCR-bench: mean of per-file rates)", "", ...sums.map((s) => `${(100 * s.perFileMean).toFixed(1)}%`)]);
  return out;
}

/** Aligned plain-text table. */
export function formatTable(candidates: Candidate[]): string {
  const r = rows(candidates);
  const widths = r[0]!.map((_, c) => Math.max(...r.map((x) => x[c]!.length)));
  const fmt = (x: string[]) => x.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ");
  return [fmt(r[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...r.slice(1).map(fmt)].join("\n");
}

/** The same table as GFM, for docs/BENCHMARKS.md. */
export function formatMarkdown(candidates: Candidate[]): string {
  const r = rows(candidates);
  const line = (x: string[]) => `| ${x.join(" | ")} |`;
  return [line(r[0]!), `|${r[0]!.map((_, i) => (i === 0 ? " --- |" : " ---: |")).join("")}`, ...r.slice(1).map(line)].join("\n");
}

/** Failed tests of one candidate, grouped by type, with the checker's reason. */
export function formatFailures(c: Candidate, others: Candidate[] = []): string {
  const failed = c.results.filter((r) => !r.passed);
  if (!failed.length) return `${c.name}: every test passed`;
  const lines = [`${c.name}: ${failed.length} failed`];
  for (const type of TEST_TYPES) {
    const of = failed.filter((r) => r.test.type === type);
    if (!of.length) continue;
    lines.push(`  ${type} (${of.length}):`);
    for (const r of of) {
      const peers = others.map((o) => `${o.name} ${o.results.find((x) => x.test.id === r.test.id)?.passed ? "pass" : "fail"}`).join(", ");
      lines.push(`    ${r.test.id} [${r.test.pdf} p${r.test.page}]${peers ? ` (${peers})` : ""}: ${r.explanation}`);
    }
  }
  return lines.join("\n");
}
