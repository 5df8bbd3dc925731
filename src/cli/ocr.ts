/**
 * `leapocr ocr <file>`: one document through the server's own pipeline (the same document
 * opener, model registry, routes, retries and steps), with no server, no database and no files
 * left behind. The result goes to stdout; progress to stderr (a bar on a terminal, plain lines
 * otherwise).
 *
 *   leapocr ocr scan.pdf                         markdown, pages separated by `---` and a page comment
 *   leapocr ocr scan.pdf --format json           the LeapOCR result object (pages, status, dimensions)
 *   leapocr ocr invoice.pdf --schema s.json --model my-gemini --config models.json
 *                                                structured extraction: the object, as JSON
 *   leapocr ocr big.pdf --pages 1-5,8
 *
 * Exit codes: 0 every page read, 1 a page (or the extraction) failed, 2 bad usage or a file
 * that cannot be read at all.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ConfigError, loadConfig, type Config } from "../config";
import { createLogger, type LogLevel } from "../lib/logger";
import { OfflineRoute } from "../adapters/model-offline";
import { DEFAULT_MODEL, type ModelRegistry } from "../adapters/router";
import { RouteError, StepFailedError } from "../adapters/retry";
import { buildModels, readConfigFile } from "../config-file";
import { IngestError, sniffDocumentType } from "../pipeline/ingest";
import { DocumentError, holdRenderPool, openDocument, type OpenedDocument } from "../pipeline/document";
import { runPageSteps, runStructuredStep } from "../pipeline/steps";
import { checkUsableSchema } from "../lib/model-json";

const OWN_FLAGS = ["format", "model", "schema", "pages", "instructions", "bounding-boxes"] as const;

export const OCR_USAGE = `Usage: leapocr ocr <file> [--format markdown|json] [--model NAME] [--schema schema.json]
                   [--pages 1-5,8] [--instructions TEXT] [--bounding-boxes] [--config models.json]
  Reads a PDF, PNG, JPEG, WebP or TIFF with the server's pipeline and prints the result on stdout.
  Exit codes: 0 all pages read, 1 a page failed, 2 bad usage or unreadable file.`;

/** "1-5,8" -> [1,2,3,4,5,8]; every page must exist. */
export function parsePages(spec: string, pageCount: number): number[] {
  const out = new Set<number>();
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(`--pages: "${part}" is not a page or a range like 2-5.`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from) throw new ConfigError(`--pages: "${part}" is not a valid range.`);
    if (to > pageCount) throw new ConfigError(`--pages: the document has ${pageCount} page(s); "${part}" goes past it.`);
    for (let n = from; n <= to; n++) out.add(n);
  }
  if (out.size === 0) throw new ConfigError("--pages: name at least one page.");
  return [...out].sort((a, b) => a - b);
}

interface PageResult {
  page_number: number;
  status: "completed" | "failed";
  result: string | null;
  confidence?: number;
  dimensions?: { width: number; height: number };
  bounding_boxes?: unknown;
  route?: string;
  error_message?: string;
}

function userMessage(err: unknown): string {
  if (err instanceof RouteError || err instanceof StepFailedError || err instanceof DocumentError || err instanceof IngestError) return err.message;
  if (err instanceof Error && err.name === "PdfError") return err.message;
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

/** Progress on stderr: a redrawn bar on a terminal, one line per page otherwise. */
function progress(total: number) {
  const tty = process.stderr.isTTY === true;
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  const draw = () => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total} pages${failed ? `, ${failed} failed` : ""}  ${secs} s`);
  };
  if (tty) draw();
  return {
    page(n: number, ok: boolean, seconds: number) {
      done++;
      if (!ok) failed++;
      if (tty) draw();
      else process.stderr.write(`page ${n}: ${ok ? "done" : "failed"} in ${seconds.toFixed(1)} s (${done}/${total})\n`);
    },
    end() {
      if (tty) process.stderr.write("\n");
    },
  };
}

export async function runOcr(args: string[], allFlags: Record<string, string>): Promise<void> {
  const own: Record<string, string> = {};
  const flags: Record<string, string> = {};
  for (const [k, v] of Object.entries(allFlags)) ((OWN_FLAGS as readonly string[]).includes(k) ? own : flags)[k] = v;
  const file = args[0];
  if (!file || args.length > 1) throw new ConfigError(OCR_USAGE);
  const format = own.format ?? "markdown";
  if (format !== "markdown" && format !== "json") throw new ConfigError(`--format must be markdown or json, not "${format}".`);
  // Quiet by default: stderr is for the progress bar. --log-level info/debug shows the pipeline's lines.
  const config: Config = loadConfig({ ...flags, "log-level": flags["log-level"] ?? "warn" });
  const logger = createLogger(config.logLevel as LogLevel);

  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new ConfigError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes.length > config.maxFileBytes) throw new ConfigError(`${file} is ${bytes.length} bytes; the limit is ${config.maxFileBytes} (--max-file-bytes).`);
  let type;
  try {
    type = sniffDocumentType(bytes);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }

  let schema: Record<string, unknown> | undefined;
  if (own.schema) {
    try {
      schema = JSON.parse(readFileSync(own.schema, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`--schema ${own.schema}: ${(err as Error).message}`);
    }
    const unusable = checkUsableSchema(schema);
    if (unusable) throw new ConfigError(`--schema ${own.schema}: ${unusable}`);
  }

  const built = buildLocalModels(config, logger);
  const models: ModelRegistry = built.registry;
  let doc: OpenedDocument | null = null;
  const releaseRenderPool = holdRenderPool();
  try {
    const modelName = own.model ?? DEFAULT_MODEL;
    const model = models.get(modelName);
    if (!model) throw new ConfigError(`Unknown model "${modelName}". Available: ${models.names().join(", ")}.`);
    if (schema && !model.supportsStructured) {
      throw new ConfigError(`--schema needs a model with a structured step (Gemini or an OpenAI-compatible route, see docs/CONFIG.md); "${modelName}" has none.`);
    }
    try {
      doc = await openDocument(bytes, type, { maxPages: config.maxPages, maxPagePixels: config.maxPagePixels });
    } catch (err) {
      if (err instanceof DocumentError) throw new ConfigError(`${file}: ${err.message}`);
      throw err;
    }
    const numbers = own.pages ? parsePages(own.pages, doc.pageCount) : Array.from({ length: doc.pageCount }, (_, i) => i + 1);
    const request = {
      format: schema ? ("structured" as const) : ("markdown" as const),
      extractBoundingBoxes: own["bounding-boxes"] === "true",
      instructions: own.instructions,
      schema,
    };

    // Pages in parallel up to the page concurrency, results kept in page order.
    const results = new Map<number, PageResult>();
    const bar = progress(numbers.length);
    const queue = [...numbers];
    const opened = doc;
    const worker = async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        const t0 = performance.now();
        try {
          const out = await runPageSteps(model, models.executor, opened.page(n), request, { jobId: "cli", logger });
          results.set(n, {
            page_number: n,
            status: "completed",
            result: out.markdown,
            confidence: out.confidence,
            dimensions: { width: out.width, height: out.height },
            bounding_boxes: out.blocks,
            route: out.route,
          });
          bar.page(n, true, (performance.now() - t0) / 1000);
        } catch (err) {
          results.set(n, { page_number: n, status: "failed", result: null, error_message: userMessage(err) });
          bar.page(n, false, (performance.now() - t0) / 1000);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(built.pageConcurrency, numbers.length) }, worker));
    bar.end();
    const pages = numbers.map((n) => results.get(n)!);
    const failed = pages.filter((p) => p.status === "failed");

    let structured: unknown;
    let extractionError: string | undefined;
    if (schema) {
      const texts = pages.filter((p) => p.status === "completed").map((p) => ({ pageNumber: p.page_number, markdown: p.result ?? "" }));
      try {
        if (texts.length === 0) throw new DocumentError("No page could be read, so nothing was extracted.");
        structured = (await runStructuredStep(model, models.executor, { pages: texts, schema, instructions: own.instructions }, { jobId: "cli" })).value;
      } catch (err) {
        extractionError = userMessage(err);
      }
    }

    const ok = failed.length === 0 && !extractionError;
    if (schema && format === "markdown") {
      // A structured extraction is an object: print it as JSON.
      if (structured !== undefined) process.stdout.write(JSON.stringify(structured, null, 2) + "\n");
    } else if (format === "json") {
      const body = {
        status: structured !== undefined || (!schema && failed.length < pages.length) ? "completed" : "failed",
        file_name: basename(file),
        model: modelName,
        result_format: schema ? "structured" : "markdown",
        total_pages: doc.pageCount,
        processed_pages: pages.length,
        error_message: extractionError ?? (failed[0] ? `${failed.length} of ${pages.length} pages failed; page ${failed[0].page_number}: ${failed[0].error_message}` : undefined),
        structured_result: structured,
        pages: pages.map((p) => (schema ? { ...p, result: p.page_number === pages[0]!.page_number && structured !== undefined ? structured : null } : p)),
      };
      process.stdout.write(JSON.stringify(body, null, 2) + "\n");
    } else {
      const parts = pages.map((p) =>
        p.status === "completed" ? `<!-- page ${p.page_number} -->\n\n${p.result!.trim()}` : `<!-- page ${p.page_number} failed: ${p.error_message} -->`,
      );
      process.stdout.write(parts.join("\n\n---\n\n") + "\n");
    }
    for (const p of failed) process.stderr.write(`leapocr: page ${p.page_number} failed: ${p.error_message}\n`);
    if (extractionError) process.stderr.write(`leapocr: structured extraction failed: ${extractionError}\n`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await doc?.close().catch(() => {});
    await releaseRenderPool();
    await models.close();
  }
}

/** The model routes a command run without a server uses: the embedded engine, plus any routes of
 * the config file (`leapocr ocr` and `leapocr mcp` both read documents this way). */
export function buildLocalModels(config: Config, logger: ReturnType<typeof createLogger>) {
  const offline = new OfflineRoute({
    ocrDpi: config.ocrDpi,
    ocrWorkers: config.ocrWorkers,
    ocrLangs: config.ocrLangs.split(",").map((s) => s.trim()).filter(Boolean),
    ocrLangDir: config.ocrLangDir,
  });
  return buildModels(config.configFile ? readConfigFile(config.configFile) : null, offline, { pageConcurrency: config.pageConcurrency, logger });
}
