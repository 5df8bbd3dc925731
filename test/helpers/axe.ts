/**
 * Accessibility check of the page under test with axe-core (the npm package, pinned in
 * package.json): its script is evaluated in the page through the DevTools protocol, which the
 * dashboard's Content-Security-Policy does not apply to and which makes no request, then
 * `axe.run` checks the current view. Only serious and critical violations are answered: those
 * are the ones a test asserts to be absent.
 *
 *   expect(await axeViolations(page)).toEqual([]);
 *
 * Each violation is one readable string (rule, impact, what it means, and for each element its
 * CSS path, its HTML start and axe's own "fix any of" summary), so a failing test says what to
 * fix without opening a report.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";

const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// Callbacks passed to page.evaluate run in the browser; the project's tsconfig has no DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any;

type Node = { target: unknown[]; html: string; failureSummary?: string };
type Violation = { id: string; impact: string | null; help: string; nodes: Node[] };

export interface AxeOptions {
  /** Rule ids to leave out, each with a reason in the calling test. */
  disable?: string[];
  /** At most this many elements listed per rule (the count is always given). */
  maxNodes?: number;
}

/** The serious and critical axe violations of what the page shows now, one readable string each. */
export async function axeViolations(page: Page, opts: AxeOptions = {}): Promise<string[]> {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const rules = Object.fromEntries((opts.disable ?? []).map((id) => [id, { enabled: false }]));
  const violations = (await page.evaluate(
    (rules) => window.axe.run(window.document, { resultTypes: ["violations"], rules }).then((r: { violations: unknown }) => r.violations),
    rules,
  )) as Violation[];
  const max = opts.maxNodes ?? 5;
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => {
      const nodes = v.nodes.slice(0, max).map((n) => {
        const html = n.html.replace(/\s+/g, " ").slice(0, 160);
        const why = (n.failureSummary ?? "").replace(/\s+/g, " ").trim();
        return `  - ${n.target.map(String).join(" ")}: ${html}\n    ${why}`;
      });
      const more = v.nodes.length > max ? [`  … and ${v.nodes.length - max} more`] : [];
      return [`${v.id} (${v.impact}, ${v.nodes.length} element(s)): ${v.help}`, ...nodes, ...more].join("\n");
    });
}
