/**
 * The official SDKs, replayed on the wire. None of them can be installed here (npm answers 404
 * for `leapocr` and `@leapocr/sdk`; PyPI, Packagist and the Go proxy are out of reach), so each
 * SDK's requests are replayed exactly as its published source sends them, and the answers are
 * read the way its parsers read them. Sources read (LeapOCR/leapocr-*):
 *   JS      packages/sdk/src/client.ts, services/ocr.ts: axios on {base}/api/v1, X-API-KEY and
 *           User-Agent defaults, only the options given; parts cut into ceil(size/n) chunks, PUT
 *           with Content-Type application/octet-stream, ETag quotes removed; result ?page&limit.
 *   Python  leapocr/client.py, ocr.py, models.py: httpx with X-API-KEY, User-Agent and
 *           Content-Type: application/json on EVERY request (GET and DELETE too); format
 *           defaults to "structured" (no schema), Model enum standard-v1 / english-pro-v1 /
 *           pro-v1, per_page_structured; status reads id, created_at, updated_at; results read
 *           page_number, result, id, completed_at, pagination; DELETE parses a JSON body.
 *           (Its multipart uploader file is not in the index; API-COMPAT.md: it uses byte ranges.)
 *   Go      processing.go, upload.go, waiter.go, types.go, internal/generated/api_sdk.go: paths
 *           without /api/v1 (the default base URL omits it), Accept/Content-Type JSON, format
 *           "structured" and model "standard-v1" by default; PUT of start_byte..end_byte with no
 *           content type, ETag trimmed of quotes; result without page/limit; status "failed" ->
 *           error_message; page objects merged into one map.
 *   PHP     src/OCRService.php, Internal/MultipartUploader.php: always sends
 *           extract_bounding_boxes and save_as_template; template_slug alone (no format);
 *           byte ranges with Content-Type application/octet-stream; dimensions read as ints.
 * The model routes are a loopback OpenAI-compatible server driven by the real openai client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorkspace, type Workspace } from "../modules/jobs/harness";
import { multiPageTiff } from "../helpers/fixtures";
import { greyPages, pageOfImage, startMockModel, stepOf, writeModelConfig, type MockModel } from "../helpers/mock-models";

interface Sdk {
  name: "js" | "python" | "go" | "php";
  prefix: string;
  /** Headers on API calls (the key added per call). */
  headers: Record<string, string>;
  /** Whether a JSON content type goes on GET and DELETE too (httpx client default). */
  jsonOnEveryRequest: boolean;
  putHeaders: Record<string, string>;
  /** How the file is cut: JS by ceil(size/parts), the others by the answered byte ranges. */
  cut: "ceil" | "ranges";
}

const SDKS: Sdk[] = [
  { name: "js", prefix: "/api/v1", headers: { "User-Agent": "leapocr-sdk-js/2.0.0", Accept: "application/json, text/plain, */*" }, jsonOnEveryRequest: false, putHeaders: { "Content-Type": "application/octet-stream" }, cut: "ceil" },
  { name: "python", prefix: "/api/v1", headers: { "User-Agent": "leapocr-python/0.0.4" }, jsonOnEveryRequest: true, putHeaders: {}, cut: "ranges" },
  { name: "go", prefix: "", headers: { "User-Agent": "OpenAPI-Generator/1.0.0/go", Accept: "application/json" }, jsonOnEveryRequest: false, putHeaders: {}, cut: "ranges" },
  { name: "php", prefix: "/api/v1", headers: { "User-Agent": "leapocr-php", Accept: "application/json" }, jsonOnEveryRequest: false, putHeaders: { "Content-Type": "application/octet-stream" }, cut: "ranges" },
];
const sdk = (name: Sdk["name"]) => SDKS.find((s) => s.name === name)!;

let dir: string;
let model: MockModel;
let w: Workspace;
let slowOcr = false;

/** A loopback file server for URL uploads (allowed through LEAPOCR_URL_ALLOW_HOSTS). */
let files: ReturnType<typeof Bun.serve>;
let tiff: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-wire-"));
  model = await startMockModel("openai", async (call) => {
    const step = stepOf(call);
    if (step === "ocr") return { text: `# Page ${await pageOfImage(call.image!.bytes)}`, delayMs: slowOcr ? 1500 : 0 };
    const first = call.raw.messages.find((m: any) => m.role === "user");
    const text = first.content.map((p: any) => p.text ?? "").join("");
    return { text: JSON.stringify({ pages: [...text.matchAll(/<page number="(\d+)">/g)].map((m) => Number(m[1])), vendor: "ACME" }) };
  });
  const configFile = await writeModelConfig(dir, {
    routes: { vlm: { provider: "openai", base_url: model.baseUrl, model: "qwen-vl", timeout_seconds: 10 } },
    models: [
      { name: "standard-v2", display_name: "Standard v2", credits_per_page: 1, steps: { ocr: ["vlm"], structured: ["vlm"] } },
      { name: "pro-v2", display_name: "Pro v2", credits_per_page: 3, steps: { ocr: ["vlm"], structured: ["vlm"] } },
    ],
  });
  tiff = await multiPageTiff(await greyPages(3));
  files = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(tiff, { headers: { "content-type": "image/tiff" } }) });
  w = await startWorkspace({ configFile, urlAllowHosts: `127.0.0.1:${files.port}` }, { retrySleep: async () => {} });
});

afterAll(async () => {
  await w?.close();
  await model?.close();
  files?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

async function call(s: Sdk, method: string, path: string, body?: unknown, key = w.t.apiKey) {
  const headers: Record<string, string> = { "X-API-KEY": key, ...s.headers };
  if (body !== undefined || s.jsonOnEveryRequest) headers["Content-Type"] = "application/json";
  const res = await fetch(`${w.t.baseUrl}${s.prefix}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Direct upload as the SDK does it: initiate, PUT each part (no key), complete with unquoted ETags. */
async function upload(s: Sdk, bytes: Uint8Array, fileName: string, contentType: string, options: Record<string, unknown>) {
  const init = await call(s, "POST", "/ocr/uploads/direct", { file_name: fileName, file_size: bytes.length, content_type: contentType, ...options });
  if (init.status !== 200) return { init };
  expect(init.body.upload_type).toBe("multipart");
  const parts: any[] = init.body.parts;
  const done: { part_number: number; etag: string }[] = [];
  for (const part of parts) {
    const chunk =
      s.cut === "ceil"
        ? bytes.subarray((part.part_number - 1) * Math.ceil(bytes.length / parts.length), part.part_number * Math.ceil(bytes.length / parts.length))
        : bytes.subarray(part.start_byte, part.end_byte + 1);
    const put = await fetch(part.upload_url, { method: "PUT", body: chunk, headers: s.putHeaders });
    expect(put.status).toBeGreaterThanOrEqual(200);
    expect(put.status).toBeLessThan(300);
    // Every SDK strips the quotes S3 puts around an ETag.
    done.push({ part_number: part.part_number, etag: put.headers.get("etag")!.replaceAll('"', "") });
  }
  const complete = await call(s, "POST", `/ocr/uploads/${init.body.job_id}/complete`, { parts: done });
  return { init, complete, jobId: init.body.job_id as string };
}

async function waitDone(s: Sdk, jobId: string) {
  for (let i = 0; i < 600; i++) {
    const st = await call(s, "GET", `/ocr/status/${jobId}`);
    expect(st.status).toBe(200);
    if (st.body.status === "completed" || st.body.status === "failed") return st.body;
    await Bun.sleep(50);
  }
  throw new Error("job did not finish");
}

const PY_STATUSES = ["pending", "uploading", "processing", "completed", "partially_done", "failed"];
const isDate = (v: unknown) => typeof v === "string" && !Number.isNaN(Date.parse(v));

describe("each SDK's own upload flow, status and result parsing", () => {
  for (const s of SDKS) {
    test(`${s.name}: markdown upload of a 3-page TIFF with the older model name, waited on, read page by page`, async () => {
      // Each SDK's content-type guess for .tiff: JS and Python image/tiff, Go and PHP octet-stream.
      const contentType = s.name === "go" ? "application/octet-stream" : "image/tiff";
      const options: Record<string, unknown> = { format: "markdown", model: "standard-v1" };
      if (s.name === "php") Object.assign(options, { extract_bounding_boxes: false, save_as_template: false });
      const up = await upload(s, tiff, "scan.tiff", contentType, options);
      expect(up.init.status).toBe(200);
      expect(up.complete!.status).toBe(200);
      // Python: ProcessResult(status=JobStatusType(...), created_at=parse_datetime(...)); PHP the same.
      expect(PY_STATUSES).toContain(up.complete!.body.status);
      expect(isDate(up.complete!.body.created_at)).toBe(true);

      const status = await waitDone(s, up.jobId!);
      expect(status.status).toBe("completed");
      expect(status.id).toBe(up.jobId); // Python and JS read id (not job_id)
      expect(isDate(status.created_at) && isDate(status.updated_at)).toBe(true);
      expect(status.progress).toBe(100); // JS reads progress
      expect(typeof status.processing_time).toBe("number"); // Go reads processing_time
      expect(status.processed_pages).toBe(3);
      expect(status.total_pages).toBe(3);

      // JS, Python and PHP page with page & limit; Go sends no query.
      const query = s.name === "go" ? "" : "?page=1&limit=2";
      const first = await call(s, "GET", `/ocr/result/${up.jobId}${query}`);
      expect(first.status).toBe(200);
      const r = first.body;
      for (const key of ["job_id", "status", "file_name", "total_pages", "processed_pages", "credits_used", "model", "result_format"]) expect(r[key]).toBeDefined();
      expect(isDate(r.completed_at)).toBe(true);
      expect(r.model).toBe("standard-v2");
      expect(r.credits_used).toBe(3);
      for (const p of r.pages) {
        expect(typeof p.id).toBe("string");
        expect(Number.isInteger(p.page_number)).toBe(true);
        expect(p.result).toBe(`# Page ${p.page_number}`);
        // PHP reads dimensions as ints.
        if (p.dimensions) expect(Number.isInteger(p.dimensions.width) && Number.isInteger(p.dimensions.height)).toBe(true);
      }
      if (s.name === "go") expect(r.pages).toHaveLength(3);
      else {
        expect(r.pages.map((p: any) => p.page_number)).toEqual([1, 2]);
        expect(r.pagination).toEqual({ page: 1, limit: 2, total: 3, total_pages: 2 });
        const second = await call(s, "GET", `/ocr/result/${up.jobId}?page=2&limit=2`);
        expect(second.body.pages.map((p: any) => p.page_number)).toEqual([3]);
      }

      // Python's delete_job parses a JSON body; afterwards status is 404 with the error body.
      const del = await call(s, "DELETE", `/ocr/delete/${up.jobId}`);
      expect(del.status).toBe(200);
      expect(del.body.deleted).toBe(true);
      const gone = await call(s, "GET", `/ocr/status/${up.jobId}`);
      expect(gone.status).toBe(404);
      expect(typeof gone.body.error.message).toBe("string");
    });
  }
});

describe("defaults and formats the SDKs send", () => {
  test("python: ProcessOptions() defaults (format structured, no schema) with Model.PRO_V1 and instructions -> one dict", async () => {
    const up = await upload(sdk("python"), tiff, "scan.tiff", "image/tiff", { format: "structured", model: "pro-v1", instructions: "Extract the vendor" });
    expect(up.init.status).toBe(200);
    expect((await waitDone(sdk("python"), up.jobId!)).status).toBe("completed");
    const r = (await call(sdk("python"), "GET", `/ocr/result/${up.jobId}?page=1&limit=100`)).body;
    expect(r.model).toBe("pro-v2");
    expect(r.pages[0].result).toEqual({ pages: [1, 2, 3], vendor: "ACME" });
    expect(r.pages[1].result).toBeNull();
  });

  test("python: Format.PER_PAGE_STRUCTURED -> one dict per page", async () => {
    const up = await upload(sdk("python"), tiff, "scan.tiff", "image/tiff", { format: "per_page_structured", model: "english-pro-v1" });
    expect((await waitDone(sdk("python"), up.jobId!)).status).toBe("completed");
    const r = (await call(sdk("python"), "GET", `/ocr/result/${up.jobId}?page=1&limit=100`)).body;
    expect(r.pages.map((p: any) => p.result)).toEqual([1, 2, 3].map((k) => ({ pages: [k], vendor: "ACME" })));
  });

  test("go: ProcessFile with no options (format structured, model standard-v1, no schema) at the root path; page objects merge into Data", async () => {
    const up = await upload(sdk("go"), tiff, "scan.tiff", "application/octet-stream", { file_name: "scan.tiff", format: "structured", model: "standard-v1" });
    expect(up.init.status).toBe(200);
    expect((await waitDone(sdk("go"), up.jobId!)).status).toBe("completed");
    const r = (await call(sdk("go"), "GET", `/ocr/result/${up.jobId}`)).body;
    const data = Object.assign({}, ...r.pages.map((p: any) => (p.result && typeof p.result === "object" ? p.result : {})));
    expect(data).toEqual({ pages: [1, 2, 3], vendor: "ACME" });
  });

  test("go: the generated demo routes answer 404 with the LeapOCR error body (ResponseErrorResponse)", async () => {
    const res = await call(sdk("go"), "POST", "/ocr/demo/initiate", { file_name: "a.pdf", file_size: 10 });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("NOT_FOUND");
    expect(res.body.error.message).toContain("API key");
  });

  test("php: template_slug alone (no format) with extract_bounding_boxes and save_as_template always sent", async () => {
    const created = await w.call("POST", "/templates", { body: { name: "Scans", format: "markdown", model: "standard-v2", instructions: "Keep tables" } });
    expect(created.status).toBe(201);
    const up = await upload(sdk("php"), tiff, "scan.tiff", "image/tiff", { extract_bounding_boxes: false, save_as_template: false, template_slug: created.body.slug });
    expect(up.init.status).toBe(200);
    const status = await waitDone(sdk("php"), up.jobId!);
    expect(status.status).toBe("completed");
    expect(status.result_format).toBe("markdown");
  });

  test("python: template_slug with the format the template produces (Python always sends a format)", async () => {
    const created = await w.call("POST", "/templates", { body: { name: "Scans py", format: "markdown", model: "standard-v2" } });
    const up = await upload(sdk("python"), tiff, "scan.tiff", "image/tiff", { format: "markdown", template_slug: created.body.slug });
    expect(up.init.status).toBe(200);
    expect((await waitDone(sdk("python"), up.jobId!)).status).toBe("completed");
  });

  test("python: a running job's result answers 202 (get_results raises JobError on 202)", async () => {
    slowOcr = true;
    try {
      const up = await upload(sdk("python"), tiff, "scan.tiff", "image/tiff", { format: "markdown", model: "standard-v1" });
      const res = await call(sdk("python"), "GET", `/ocr/result/${up.jobId}?page=1&limit=100`);
      expect(res.status).toBe(202);
      expect(res.body.status === "pending" || res.body.status === "processing").toBe(true);
      await waitDone(sdk("python"), up.jobId!);
    } finally {
      slowOcr = false;
    }
  });
});

describe("URL uploads and errors", () => {
  test("URL upload (loopback host allowed by LEAPOCR_URL_ALLOW_HOSTS), parsed as JS, Python and PHP read it", async () => {
    const url = `http://127.0.0.1:${files.port}/docs/scan.tiff`;
    for (const s of [sdk("js"), sdk("python"), sdk("php"), sdk("go")]) {
      const res = await call(s, "POST", "/ocr/uploads/url", { url, format: "markdown", model: "standard-v1" });
      expect(res.status).toBe(200);
      expect(typeof res.body.job_id).toBe("string");
      expect(PY_STATUSES).toContain(res.body.status);
      expect(isDate(res.body.created_at)).toBe(true);
      expect(res.body.source_url).toBe(url);
      expect((await waitDone(s, res.body.job_id)).status).toBe("completed");
    }
  });

  test("a wrong key is 401 and a bad request is 400, each with error.message (every SDK reads it)", async () => {
    for (const s of SDKS) {
      const unauth = await call(s, "GET", "/ocr/models", undefined, "lo_wrong_key");
      expect(unauth.status).toBe(401);
      expect(unauth.body.code).toBe("AUTHENTICATION_ERROR");
      expect(typeof unauth.body.error.message).toBe("string");
      const bad = await call(s, "POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: 10, content_type: "application/pdf", model: "nope-v9" });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain("Unknown model");
      const missing = await call(s, "GET", "/ocr/status/0b6f0c1e-8f0a-4c4e-9f55-3d2f4f7f2a10");
      expect(missing.status).toBe(404);
    }
  });

  test("python: DELETE with the body {} an older release sent is accepted too", async () => {
    const up = await upload(sdk("python"), (await greyPages(1))[0]!, "one.png", "image/png", { format: "markdown" });
    const del = await call(sdk("python"), "DELETE", `/ocr/delete/${up.jobId}`, {});
    expect(del.status).toBe(200);
    expect(del.body.job_id).toBe(up.jobId);
  });
});
