/**
 * Loopback model servers that speak the real wire formats, so the real openai and @google/genai
 * SDK clients are exercised: OpenAI chat completions (POST {base}/chat/completions) and Gemini
 * generateContent (POST /{v1|v1beta}/models/{model}:generateContent). Started on 127.0.0.1, port
 * 0, inside the test. Each request is recorded in a normalised form; a scripted handler decides
 * the answer, including faults: a status with headers, a hang, a reset connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Wire = "openai" | "gemini";

/** One request as the test sees it, whatever the wire format. */
export interface ModelCall {
  n: number;
  wire: Wire;
  path: string;
  model: string;
  apiKey: string | null;
  system: string;
  /** Text of the last user turn. */
  text: string;
  /** Number of user/model turns (a re-ask has 3). */
  turns: number;
  image: { mime: string; bytes: Uint8Array } | null;
  /** OpenAI response_format, or Gemini's responseMimeType + responseSchema. */
  responseFormat: unknown;
  raw: any;
}

export type Step = "ocr" | "refine" | "boxes" | "structured" | "unknown";

export function stepOf(call: ModelCall): Step {
  if (/transcribe document page images/i.test(call.system)) return "ocr";
  if (/correct OCR transcriptions/i.test(call.system)) return "refine";
  if (/layout blocks/i.test(call.system)) return "boxes";
  if (/extract data from documents/i.test(call.system)) return "structured";
  return "unknown";
}

export type Reply =
  | { text: string; finish?: "stop" | "length"; usage?: { input: number; output: number }; delayMs?: number }
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { hang: true }
  | { reset: true };

export type Handler = (call: ModelCall) => Reply | Promise<Reply>;

export interface MockModel {
  wire: Wire;
  /** What to give the SDK as its base URL. */
  baseUrl: string;
  calls: ModelCall[];
  handler: Handler;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function normaliseOpenAI(body: any, n: number, path: string, apiKey: string | null): ModelCall {
  const messages = body.messages as any[];
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const turns = messages.filter((m) => m.role !== "system");
  const last = [...turns].reverse().find((m) => m.role === "user");
  const parts = typeof last?.content === "string" ? [{ type: "text", text: last.content }] : (last?.content ?? []);
  const text = parts.filter((p: any) => p.type === "text").map((p: any) => p.text).join("\n");
  const firstUser = turns.find((m) => m.role === "user");
  const imagePart = (Array.isArray(firstUser?.content) ? firstUser.content : []).find((p: any) => p.type === "image_url");
  let image = null;
  if (imagePart) {
    const m = /^data:([^;]+);base64,(.*)$/s.exec(imagePart.image_url.url);
    if (m) image = { mime: m[1]!, bytes: new Uint8Array(Buffer.from(m[2]!, "base64")) };
  }
  return { n, wire: "openai", path, model: body.model, apiKey, system, text, turns: turns.length, image, responseFormat: body.response_format ?? null, raw: body };
}

function normaliseGemini(body: any, n: number, path: string, apiKey: string | null): ModelCall {
  const model = /models\/([^:]+):/.exec(path)?.[1] ?? "";
  const system = (body.systemInstruction?.parts ?? []).map((p: any) => p.text ?? "").join("");
  const contents = body.contents as any[];
  const last = [...contents].reverse().find((c) => c.role === "user");
  const text = (last?.parts ?? []).filter((p: any) => typeof p.text === "string").map((p: any) => p.text).join("\n");
  const inline = (contents[0]?.parts ?? []).find((p: any) => p.inlineData)?.inlineData;
  const image = inline ? { mime: inline.mimeType, bytes: new Uint8Array(Buffer.from(inline.data, "base64")) } : null;
  const gc = body.generationConfig ?? {};
  const responseFormat = gc.responseMimeType ? { mime: gc.responseMimeType, schema: gc.responseSchema ?? gc.responseJsonSchema } : null;
  return { n, wire: "gemini", path, model, apiKey, system, text, turns: contents.length, image, responseFormat, raw: body };
}

function answer(wire: Wire, model: string, reply: { text: string; finish?: "stop" | "length"; usage?: { input: number; output: number } }) {
  const usage = reply.usage ?? { input: 100, output: 20 };
  if (wire === "openai") {
    return {
      id: "chatcmpl-test",
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: "assistant", content: reply.text }, finish_reason: reply.finish ?? "stop" }],
      usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
    };
  }
  return {
    candidates: [{ content: { role: "model", parts: [{ text: reply.text }] }, finishReason: reply.finish === "length" ? "MAX_TOKENS" : "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: usage.input, candidatesTokenCount: usage.output, totalTokenCount: usage.input + usage.output },
    modelVersion: model,
  };
}

export async function startMockModel(wire: Wire, handler: Handler, opts: { record?: boolean } = {}): Promise<MockModel> {
  const record = opts.record ?? true;
  let count = 0;
  const calls: ModelCall[] = [];
  const hanging = new Set<ServerResponse>();
  const mock: MockModel = { wire, baseUrl: "", calls, handler, close: async () => {} };
  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const okPath = wire === "openai" ? /\/chat\/completions$/.test(path.split("?")[0]!) : /^\/(v1|v1beta)\/models\/[^/:]+:generateContent/.test(path);
    const body = await readBody(req);
    if (req.method !== "POST" || !okPath) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    const apiKey = wire === "openai" ? (req.headers.authorization ?? "").replace(/^Bearer /, "") || null : ((req.headers["x-goog-api-key"] as string) ?? null);
    const parsed = JSON.parse(body);
    count++;
    const n = record ? calls.length + 1 : count;
    const call = wire === "openai" ? normaliseOpenAI(parsed, n, path, apiKey) : normaliseGemini(parsed, n, path, apiKey);
    // Benchmarks do not keep calls: memory must not grow with the page count.
    if (record) calls.push(call);
    let reply: Reply;
    try {
      reply = await mock.handler(call);
    } catch (err) {
      reply = { status: 500, body: { error: { message: String(err) } } };
    }
    if ("reset" in reply) {
      req.socket.destroy();
      return;
    }
    if ("hang" in reply) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (reply.delayMs) await Bun.sleep(reply.delayMs);
    if ("status" in reply) {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers }).end(JSON.stringify(reply.body ?? { error: { message: `status ${reply.status}`, code: reply.status } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer(wire, call.model, reply)));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  mock.baseUrl = wire === "openai" ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
  mock.close = async () => {
    for (const res of hanging) res.socket?.destroy();
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return mock;
}

/** PNG size from its IHDR chunk (the mock does not need sharp to know what it was sent). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24 || bytes[0] !== 0x89 || bytes[1] !== 0x50) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/**
 * A well-behaved model for every step: OCR answers markdown that names the image size it got,
 * refinement marks the text as refined, boxes answer one heading and one paragraph in the
 * wire's usual coordinates, and structured answers `extract(call)`.
 */
export function smartHandler(opts: { extract?: (call: ModelCall) => unknown; delayMs?: number } = {}): Handler {
  return (call) => {
    const step = stepOf(call);
    const delayMs = opts.delayMs;
    if (step === "ocr") {
      const size = call.image ? pngSize(call.image.bytes) : null;
      return { text: `# Page from ${call.wire}\n\nImage ${size ? `${size.width}x${size.height}` : call.image?.mime ?? "none"}.`, delayMs };
    }
    if (step === "refine") {
      const draft = /Draft transcription of this page:\n\n([\s\S]*?)\n\nReturn the corrected Markdown\./.exec(call.text)?.[1] ?? "";
      return { text: `${draft}\n\n(refined)`, delayMs };
    }
    if (step === "boxes") {
      // Gemini: [ymin, xmin, ymax, xmax]; OpenAI-compatible: [x0, y0, x1, y1]; both 0-1000.
      const heading = call.wire === "gemini" ? [100, 50, 200, 950] : [50, 100, 950, 200];
      const para = call.wire === "gemini" ? [250, 50, 600, 950] : [50, 250, 950, 600];
      return {
        text: JSON.stringify({ blocks: [{ type: "heading", text: "Title", box: heading }, { type: "paragraph", text: "Body text", box: para }] }),
        delayMs,
      };
    }
    if (step === "structured") return { text: JSON.stringify(opts.extract ? opts.extract(call) : {}), delayMs };
    return { status: 400, body: { error: { message: "unknown step" } } };
  };
}

/**
 * Test pages that say which page they are: page k is a flat grey of level 20 + 7k (k = 1..30),
 * so a loopback model can tell pages apart from the image alone (see pageOfImage).
 */
export async function greyPages(count: number, width = 240, height = 320): Promise<Uint8Array[]> {
  const { loadSharp } = await import("../../src/lib/sharp");
  const sharp = await loadSharp();
  const out: Uint8Array[] = [];
  for (let k = 1; k <= count; k++) {
    const level = 20 + 7 * k;
    out.push(new Uint8Array(await sharp({ create: { width, height, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer()));
  }
  return out;
}

export async function pageOfImage(bytes: Uint8Array): Promise<number> {
  const { loadSharp } = await import("../../src/lib/sharp");
  const sharp = await loadSharp();
  const stats = await sharp(bytes).stats();
  return Math.round((stats.channels[0]!.mean - 20) / 7);
}

/** Writes a model config file into `dir` and answers its path. */
export async function writeModelConfig(dir: string, config: unknown): Promise<string> {
  const path = `${dir}/models.json`;
  await Bun.write(path, JSON.stringify(config, null, 2));
  return path;
}
