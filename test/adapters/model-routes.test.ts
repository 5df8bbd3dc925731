/**
 * Each VLM route through its real SDK (openai 7.x, @google/genai 3.x) against a loopback server
 * speaking that SDK's wire format: every step, and every fault the retry policy must handle.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { geminiRoute } from "../../src/adapters/model-gemini";
import { openAIRoute } from "../../src/adapters/model-openai";
import { RetryPolicy, StepFailedError } from "../../src/adapters/retry";
import { RouteExecutor } from "../../src/adapters/router";
import type { ModelRoute, PageSource } from "../../src/ports/model";
import type { VlmRoute } from "../../src/adapters/vlm";
import { loadSharp } from "../../src/lib/sharp";
import { pngSize, smartHandler, startMockModel, stepOf, type MockModel, type Wire } from "../helpers/mock-models";

let pagePng: Uint8Array;
beforeAll(async () => {
  const sharp = await loadSharp();
  pagePng = new Uint8Array(await sharp({ create: { width: 2000, height: 1000, channels: 3, background: "#ffffff" } }).png().toBuffer());
});

function page(n = 1): PageSource {
  return { pageNumber: n, textLayer: async () => null, image: async () => ({ png: pagePng, width: 2000, height: 1000 }) };
}

const KEY = "sk-test-secret-123";

function makeRoute(wire: Wire, mock: MockModel, over: { name?: string; timeoutMs?: number; structuredOutput?: "json_schema" | "json_object" | "none"; baseUrl?: string } = {}): VlmRoute {
  const common = {
    name: over.name ?? `${wire}-main`,
    model: wire === "gemini" ? "gemini-2.5-flash" : "qwen2.5-vl-72b",
    baseUrl: over.baseUrl ?? mock.baseUrl,
    apiKey: KEY,
    dpi: 150,
    maxLongSide: 1024,
    imageFormat: "png" as const,
    maxConcurrency: 4,
    timeoutMs: over.timeoutMs ?? 5000,
  };
  return wire === "gemini"
    ? geminiRoute({ ...common, boxCoordinates: "yxyx_1000" })
    : openAIRoute({ ...common, boxCoordinates: "xyxy_1000", structuredOutput: over.structuredOutput ?? "json_schema" });
}

function executor() {
  const sleeps: number[] = [];
  const exec = new RouteExecutor({
    retry: new RetryPolicy({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 }, () => 0.5),
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { exec, sleeps };
}

const INVOICE = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: {
    vendor: { type: "string" },
    total: { type: "number" },
    currency: { type: ["string", "null"] },
    lines: { type: "array", items: { type: "object", properties: { item: { type: "string" }, amount: { type: "number" } }, required: ["item", "amount"], additionalProperties: false } },
  },
  required: ["vendor", "total", "lines"],
  additionalProperties: false,
};
const GOOD = { vendor: "ACME", total: 42.5, currency: "EUR", lines: [{ item: "Bolts", amount: 42.5 }] };
const doc = { pages: [{ pageNumber: 1, markdown: "# Invoice\n\nACME, total 42.50 EUR" }], schema: INVOICE, instructions: "Amounts in euros" };

for (const wire of ["openai", "gemini"] as const) {
  describe(`${wire} route through the real SDK`, () => {
    let mock: MockModel;
    beforeAll(async () => {
      mock = await startMockModel(wire, smartHandler());
    });
    afterEach(() => {
      mock.calls.length = 0;
      mock.handler = smartHandler();
    });
    afterAll(() => mock.close());

    test("base OCR sends the page image sized for the model and returns markdown with usage", async () => {
      const route = makeRoute(wire, mock);
      const { exec } = executor();
      const out = (await exec.run("ocr", [route], (r, s) => r.readPage(page(), { format: "markdown", extractBoundingBoxes: false, instructions: "Keep line breaks" }, s))).value;
      expect(out.markdown).toBe(`# Page from ${wire}\n\nImage 1024x512.`);
      expect(out.route).toBe(`${wire}:${wire}-main`);
      expect(out.width).toBe(2000);
      expect(out.height).toBe(1000);
      expect(out.usage).toEqual({ inputTokens: 100, outputTokens: 20 });
      const call = mock.calls[0]!;
      expect(call.apiKey).toBe(KEY);
      expect(call.model).toBe(wire === "gemini" ? "gemini-2.5-flash" : "qwen2.5-vl-72b");
      expect(call.image?.mime).toBe("image/png");
      expect(pngSize(call.image!.bytes)).toEqual({ width: 1024, height: 512 });
      expect(call.text).toContain("Keep line breaks");
      if (wire === "gemini") expect(call.path).toMatch(/^\/v1(beta)?\/models\/gemini-2\.5-flash:generateContent/);
      else expect(call.path).toBe("/v1/chat/completions");
    });

    test("refinement sends the draft with the image and returns the corrected text", async () => {
      const route = makeRoute(wire, mock);
      const { exec } = executor();
      const out = (await exec.run("refine", [route], (r, s) => r.refinePage!(page(), "Helo world", { format: "markdown", extractBoundingBoxes: false }, s))).value;
      expect(out.markdown).toBe("Helo world\n\n(refined)");
      expect(mock.calls[0]!.image).not.toBeNull();
      expect(stepOf(mock.calls[0]!)).toBe("refine");
    });

    test("bounding boxes come back as typed blocks in pixels of the page image", async () => {
      const route = makeRoute(wire, mock);
      const { exec } = executor();
      const out = (await exec.run("boxes", [route], (r, s) => r.pageBlocks!(page(), { format: "markdown", extractBoundingBoxes: true }, s))).value;
      expect(out.width).toBe(2000);
      expect(out.height).toBe(1000);
      // 0-1000 normalised -> pixels of the 2000x1000 page, whichever axis order the wire uses.
      expect(out.blocks).toEqual([
        { type: "heading", text: "Title", bounds: { x: 100, y: 100, width: 1800, height: 100 } },
        { type: "paragraph", text: "Body text", bounds: { x: 100, y: 250, width: 1800, height: 350 } },
      ]);
    });

    test("a PDF page is drawn at the model's size and sent as drawn; boxes stay in pixels of the page at the route's dpi", async () => {
      const { openDocument, holdRenderPool } = await import("../../src/pipeline/document");
      const { digitalPdf } = await import("../helpers/fixtures");
      const release = holdRenderPool();
      const fits: (number | undefined)[] = [];
      try {
        const doc = await openDocument(await digitalPdf([{ heading: "Title", paragraphs: ["Body text"] }]), "pdf", { maxPages: 10, maxPagePixels: 100_000_000 });
        const real = doc.page(1);
        const source: PageSource = { ...real, image: (dpi, fit) => (fits.push(fit?.maxLongSide), real.image(dpi, fit)) };
        const route = makeRoute(wire, mock);
        const { exec } = executor();
        const out = (await exec.run("boxes", [route], (r, s) => r.pageBlocks!(source, { format: "markdown", extractBoundingBoxes: true }, s))).value;
        await doc.close();
        expect(fits).toEqual([1024]);
        // Letter at 150 DPI is 1275x1650; the image sent is drawn to 1024 on its long side.
        expect(pngSize(mock.calls[0]!.image!.bytes)).toEqual({ width: 791, height: 1024 });
        expect([out.width, out.height]).toEqual([1275, 1650]);
        // The mock answers the 0-1000 box (50,100)-(950,200): pixels of the 1275x1650 page, not of the image sent.
        expect(out.blocks[0]!.bounds).toEqual({ x: 64, y: 165, width: 1147, height: 165 });
      } finally {
        await release();
      }
    });

    test("structured extraction asks for the schema and returns a valid object", async () => {
      mock.handler = smartHandler({ extract: () => GOOD });
      const route = makeRoute(wire, mock);
      const { exec } = executor();
      const out = (await exec.run("structured", [route], (r, s) => r.extractStructured!(doc, s))).value;
      expect(out.value).toEqual(GOOD);
      const call = mock.calls[0]!;
      expect(call.image).toBeNull();
      expect(call.text).toContain("ACME, total 42.50 EUR");
      expect(call.text).toContain("Amounts in euros");
      if (wire === "openai") {
        const rf = call.responseFormat as any;
        expect(rf.type).toBe("json_schema");
        expect(rf.json_schema.schema.properties.vendor).toEqual({ type: "string" });
      } else {
        // Gemini's responseSchema rejects additionalProperties and type arrays: adapted, not refused.
        const rf = call.responseFormat as any;
        expect(rf.mime).toBe("application/json");
        const text = JSON.stringify(rf.schema);
        expect(text).not.toContain("additionalProperties");
        expect(text).not.toContain("$schema");
        expect(rf.schema.properties.currency).toEqual({ type: "STRING", nullable: true });
      }
    });

    test("fenced JSON is repaired without asking again", async () => {
      mock.handler = (call) => (stepOf(call) === "structured" ? { text: "Here you go:\n```json\n" + JSON.stringify(GOOD, null, 2) + "\n```\nAnything else?" } : { status: 400 });
      const { exec } = executor();
      const out = (await exec.run("structured", [makeRoute(wire, mock)], (r, s) => r.extractStructured!(doc, s))).value;
      expect(out.value).toEqual(GOOD);
      expect(mock.calls).toHaveLength(1);
    });

    test("truncated JSON is closed at the last complete member when that satisfies the schema", async () => {
      const full = JSON.stringify({ vendor: "ACME", total: 42.5, lines: [{ item: "Bolts", amount: 42.5 }], currency: "EUR" });
      mock.handler = () => ({ text: full.slice(0, full.indexOf('"currency"') + 14), finish: "length" });
      const { exec } = executor();
      const out = (await exec.run("structured", [makeRoute(wire, mock)], (r, s) => r.extractStructured!(doc, s))).value;
      expect(out.value).toEqual({ vendor: "ACME", total: 42.5, lines: [{ item: "Bolts", amount: 42.5 }] });
      expect(mock.calls).toHaveLength(1);
    });

    test("JSON that cannot be repaired is asked for once more, with the reason", async () => {
      mock.handler = (call) => (call.turns === 1 ? { text: '{"vendor": "ACME", "total": 4', finish: "length" } : { text: JSON.stringify(GOOD) });
      const { exec } = executor();
      const out = await exec.run("structured", [makeRoute(wire, mock)], (r, s) => r.extractStructured!(doc, s));
      expect(out.value.value).toEqual(GOOD);
      expect(mock.calls).toHaveLength(2);
      expect(mock.calls[1]!.turns).toBe(3);
      expect(mock.calls[1]!.text).toContain("does not match the schema");
      expect(out.value.usage).toEqual({ inputTokens: 200, outputTokens: 40 });
    });

    test("an answer still invalid after the re-ask fails with the validator's message", async () => {
      mock.handler = () => ({ text: JSON.stringify({ vendor: "ACME", total: "forty-two", lines: [] }) });
      const { exec } = executor();
      const err = await exec.run("structured", [makeRoute(wire, mock)], (r, s) => r.extractStructured!(doc, s)).catch((e) => e);
      expect(err).toBeInstanceOf(StepFailedError);
      expect(err.message).toContain("does not match the schema");
      expect(err.message).toContain("/total");
      // One call and one re-ask; bad output is not retried further on the same route.
      expect(mock.calls).toHaveLength(2);
    });

    test("429 waits for Retry-After, then succeeds", async () => {
      mock.handler = (call) => (call.n === 1 ? { status: 429, headers: { "retry-after": "2" }, body: { error: { message: "slow down", code: 429 } } } : smartHandler()(call));
      const { exec, sleeps } = executor();
      const out = await exec.run("ocr", [makeRoute(wire, mock)], (r, s) => r.readPage(page(), { format: "markdown", extractBoundingBoxes: false }, s));
      expect(out.attempts).toBe(2);
      expect(sleeps).toEqual([2000]);
      expect(mock.calls).toHaveLength(2);
    });

    test("500 is retried with exponential backoff and jitter, then the route is given up", async () => {
      mock.handler = () => ({ status: 500, body: { error: { message: "boom", code: 500 } } });
      const { exec, sleeps } = executor();
      const err = await exec.run("ocr", [makeRoute(wire, mock)], (r, s) => r.readPage(page(), { format: "markdown", extractBoundingBoxes: false }, s)).catch((e) => e);
      expect(err).toBeInstanceOf(StepFailedError);
      expect(err.message).toContain("HTTP 500");
      expect(err.message).toContain("after 3 attempts");
      expect(mock.calls).toHaveLength(3);
      // random() = 0.5: half of 100 ms, then half of 200 ms.
      expect(sleeps).toEqual([50, 100]);
    });

    test("a hang past the timeout is aborted and retried", async () => {
      mock.handler = (call) => (call.n === 1 ? { hang: true } : smartHandler()(call));
      const { exec } = executor();
      const started = Date.now();
      const out = await exec.run("ocr", [makeRoute(wire, mock, { timeoutMs: 300 })], (r, s) => r.readPage(page(), { format: "markdown", extractBoundingBoxes: false }, s));
      expect(out.attempts).toBe(2);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    test("a reset connection is retried", async () => {
      mock.handler = (call) => (call.n === 1 ? { reset: true } : smartHandler()(call));
      const { exec } = executor();
      const out = await exec.run("ocr", [makeRoute(wire, mock)], (r, s) => r.readPage(page(), { format: "markdown", extractBoundingBoxes: false }, s));
      expect(out.attempts).toBe(2);
      expect(out.value.markdown).toContain("Image 1024x512");
    });

    test("a route that is down falls back to the next route", async () => {
      const down = makeRoute(wire, mock, { name: "down", baseUrl: wire === "openai" ? "http://127.0.0.1:9/v1" : "http://127.0.0.1:9" });
      const up = makeRoute(wire, mock, { name: "backup" });
      const { exec } = executor();
      const out = await exec.run("ocr", [down, up] as ModelRoute[], (r, s) => r.readPage(page(), { format: "markdown", extractBoundingBoxes: false }, s));
      expect(out.route.name).toBe("backup");
      expect(out.value.route).toBe(`${wire}:backup`);
    });

    test("a 400 is not retried: the next route is tried at once", async () => {
      const other = await startMockModel(wire, smartHandler());
      try {
        mock.handler = () => ({ status: 400, body: { error: { message: "bad request", code: 400 } } });
        const { exec, sleeps } = executor();
        const out = await exec.run("ocr", [makeRoute(wire, mock, { name: "a" }), makeRoute(wire, other, { name: "b" })] as ModelRoute[], (r, s) =>
          r.readPage(page(), { format: "markdown", extractBoundingBoxes: false }, s),
        );
        expect(out.route.name).toBe("b");
        expect(mock.calls).toHaveLength(1);
        expect(sleeps).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });
}

test("openai JSON mode: json_object is sent, the answer is still validated", async () => {
  const mock = await startMockModel("openai", smartHandler({ extract: () => GOOD }));
  try {
    const { exec } = executor();
    const out = await exec.run("structured", [makeRoute("openai", mock, { structuredOutput: "json_object" })], (r, s) => r.extractStructured!(doc, s));
    expect(out.value.value).toEqual(GOOD);
    expect(mock.calls[0]!.responseFormat).toEqual({ type: "json_object" });
  } finally {
    await mock.close();
  }
});

test("a non-object root schema is wrapped for the provider and unwrapped for the user", async () => {
  const mock = await startMockModel("openai", (call) => ({ text: JSON.stringify({ result: ["a", "b"] }) }));
  try {
    const { exec } = executor();
    const out = await exec.run("structured", [makeRoute("openai", mock)], (r, s) =>
      r.extractStructured!({ pages: doc.pages, schema: { type: "array", items: { type: "string" } } }, s),
    );
    expect(out.value.value).toEqual(["a", "b"]);
    expect((mock.calls[0]!.responseFormat as any).json_schema.schema.type).toBe("object");
  } finally {
    await mock.close();
  }
});

test("route concurrency: never more calls in flight than max_concurrency", async () => {
  let inFlight = 0;
  let peak = 0;
  const mock = await startMockModel("openai", async (call) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    // Long enough that the slots fill even when the machine is busy (30 ms let preparing the
    // next images fall behind, and the peak stayed below the limit).
    await Bun.sleep(150);
    inFlight--;
    return smartHandler()(call);
  });
  try {
    const route = makeRoute("openai", mock);
    const { exec } = executor();
    await Promise.all(Array.from({ length: 12 }, (_, i) => exec.run("ocr", [route], (r, s) => r.readPage(page(i + 1), { format: "markdown", extractBoundingBoxes: false }, s))));
    expect(mock.calls).toHaveLength(12);
    expect(peak).toBe(4);
  } finally {
    await mock.close();
  }
});
