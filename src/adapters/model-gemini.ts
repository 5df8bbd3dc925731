/**
 * Gemini through @google/genai: generateContent with the page image inline, JSON answers via
 * responseMimeType + responseSchema (the user's schema adapted to Gemini's OpenAPI subset,
 * see provider-schema.ts), usage from usageMetadata. The SDK does not retry unless given
 * retryOptions, and we give none: the server's retry policy owns retries. The SDK's errors carry
 * no headers, so a per-request fetch wrapper reads Retry-After from the response.
 */
import { GoogleGenAI, ApiError, type Content, type GenerateContentConfig, type Schema } from "@google/genai";
import { RouteError, kindForStatus, parseRetryAfter } from "./retry";
import { VlmRoute, type ChatClient, type ChatRequest, type ChatResponse, type VlmRouteOptions } from "./vlm";
import { schemaForGemini } from "./provider-schema";

export interface GeminiRouteOptions extends Omit<VlmRouteOptions, "provider"> {
  apiKey: string;
  /** API version in the URL; the SDK's default (v1 in genai 3.x) when unset. */
  apiVersion?: string;
  temperature?: number;
  maxOutputTokens?: number;
  headers?: Record<string, string>;
}

export class GeminiChatClient implements ChatClient {
  private readonly client: GoogleGenAI;

  constructor(private readonly o: GeminiRouteOptions) {
    this.client = new GoogleGenAI({
      apiKey: o.apiKey,
      httpOptions: {
        baseUrl: o.baseUrl || undefined,
        ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
        ...(o.headers ? { headers: o.headers } : {}),
        // No retryOptions: one attempt per call.
      },
    });
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const contents: Content[] = req.turns.map((turn) => ({
      role: turn.role,
      parts: [
        ...(turn.image ? [{ inlineData: { mimeType: turn.image.mime, data: Buffer.from(turn.image.bytes).toString("base64") } }] : []),
        { text: turn.text },
      ],
    }));
    let retryAfterMs: number | undefined;
    const config: GenerateContentConfig = {
      systemInstruction: req.system,
      temperature: this.o.temperature ?? 0,
      abortSignal: req.signal,
      httpOptions: {
        fetch: async (input: string | URL | Request, init?: RequestInit) => {
          const res = await fetch(input, init);
          if (!res.ok) retryAfterMs = parseRetryAfter((h) => res.headers.get(h));
          return res;
        },
      },
    };
    if (this.o.maxOutputTokens) config.maxOutputTokens = this.o.maxOutputTokens;
    if (req.jsonSchema) {
      config.responseMimeType = "application/json";
      if (req.jsonSchema.schema) config.responseSchema = schemaForGemini(req.jsonSchema.schema) as Schema;
    }
    let response;
    try {
      response = await this.client.models.generateContent({ model: this.o.model, contents, config });
    } catch (err) {
      throw toRouteError(err, this.o.name, retryAfterMs, req.signal);
    }
    const candidate = response.candidates?.[0];
    const text = (candidate?.content?.parts ?? []).map((p) => (typeof p.text === "string" && !p.thought ? p.text : "")).join("");
    if (!candidate) {
      const reason = response.promptFeedback?.blockReason;
      throw new RouteError(`gemini:${this.o.name} answered without a candidate${reason ? ` (blocked: ${reason})` : ""}.`, "bad_output");
    }
    const meta = response.usageMetadata;
    const usage = meta ? { inputTokens: meta.promptTokenCount ?? 0, outputTokens: (meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0) } : undefined;
    return { text, usage, truncated: candidate.finishReason === "MAX_TOKENS" };
  }
}

function toRouteError(err: unknown, name: string, retryAfterMs: number | undefined, signal?: AbortSignal): unknown {
  const label = `gemini:${name}`;
  if (signal?.aborted) return err; // the executor's timeout or a shutdown: it knows which
  if (err instanceof ApiError) {
    let detail = "";
    try {
      const body = JSON.parse(err.message) as { error?: { message?: string } };
      detail = String(body.error?.message ?? "").replace(/\s+/g, " ").slice(0, 200);
    } catch {}
    return new RouteError(`${label} answered HTTP ${err.status}${detail ? `: ${detail}` : ""}.`, kindForStatus(err.status), { status: err.status, retryAfterMs });
  }
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) return new RouteError(`${label} did not answer in time.`, "timeout");
  if (err instanceof TypeError || (err instanceof Error && /ECONN|socket|network|fetch failed|Unable to connect|closed/i.test(`${(err as { code?: string }).code ?? ""} ${err.message}`))) {
    return new RouteError(`${label} could not be reached (${`${(err as { code?: string }).code ?? ""} ${err.message}`.trim().slice(0, 160)}).`, "network");
  }
  return err;
}

export function geminiRoute(o: GeminiRouteOptions): VlmRoute {
  return new VlmRoute({ ...o, provider: "gemini" }, new GeminiChatClient(o));
}
