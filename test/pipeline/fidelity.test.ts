/**
 * Issue 14's proof: the fidelity corpus (test/fixtures/fidelity), read the way the offline
 * engine reads a job, loses no line of content, and drops at least 90% of the real running
 * headers, footers and page numbers.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { holdRenderPool } from "../../src/pipeline/document";
import { corpus, type Furniture } from "../fixtures/fidelity/index";
import { check, offlineRoute, readDocument } from "../fixtures/fidelity/runner";

const route = offlineRoute();
const releasePool = holdRenderPool();
afterAll(async () => {
  await route.close();
  await releasePool();
});

const furniture = { total: 0, leaked: [] as Array<Furniture & { doc: string }> };
let lines = 0;
let lost = 0;

describe("fidelity corpus: every line of content comes out", () => {
  test("the corpus has at least 40 documents with unique names", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((d) => d.name)).size).toBe(corpus.length);
  });

  for (const doc of corpus) {
    test(`${doc.family}: ${doc.name}`, async () => {
      const pages = await readDocument(await doc.build(), route);
      const out = check(doc, pages);
      lines += doc.keep.length;
      lost += out.lost.length;
      furniture.total += out.furniture;
      furniture.leaked.push(...out.leaked.map((l) => ({ ...l, doc: doc.name })));
      if (out.lost.length) console.log(`${doc.name}: lost ${JSON.stringify(out.lost)}\n---\n${pages.join("\n\n<page>\n\n")}\n---`);
      expect(out.lost).toEqual([]);
    }, 120_000);
  }

  test("at least 90% of the running headers, footers and page numbers are dropped", () => {
    const dropped = furniture.total - furniture.leaked.length;
    console.log(`fidelity: ${lost} of ${lines} content lines lost in ${corpus.length} documents; ${dropped} of ${furniture.total} furniture lines dropped (${((100 * dropped) / furniture.total).toFixed(1)}%)`);
    if (furniture.leaked.length) console.log(`furniture left in: ${JSON.stringify(furniture.leaked)}`);
    expect(furniture.total).toBeGreaterThan(30);
    expect(dropped / furniture.total).toBeGreaterThanOrEqual(0.9);
  });
});
