/**
 * Any OpenAI-compatible chat completions endpoint (OpenAI, OpenRouter, DeepInfra, vLLM, Ollama,
 * LM Studio...) through the official openai SDK. The page image goes as a data URI; structured
 * answers use `response_format: json_schema` where the endpoint supports it, else JSON mode
 * (`json_object`) or the prompt alone, and are validated either way. The SDK's own retries are
 * off (maxRetries: 0): the server's retry policy (retry.ts) owns them.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionContentPart, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { RouteError, kindForStatus, parseRetryAfter } from "./retry";
import { VlmRoute, type ChatClient, type ChatRequest, type ChatResponse, type VlmRouteOptions } from "./vlm";
import { schemaForOpenAI } from "./provider-schema";

export type OpenAIStructuredMode = "json_schema" | "json_object" | "none";

export interface OpenAIRouteOptions extends Omit<VlmRouteOptions, "provider"> {
  apiKey: string;
  /** How to ask for JSON: the endpoint's json_schema, JSON mode, or the prompt only. */
  structuredOutput: OpenAIStructuredMode;
  temperature?: number;
  maxOutputTokens?: number;
  /** Extra, non-secret headers (e.g. OpenRouter's HTTP-Referer / X-Title). */
  headers?: Record<string, string>;
}

export class OpenAIChatClient implements ChatClient {
  private readonly client: OpenAI;

  constructor(private readonly o: OpenAIRouteOptions) {
    this.client = new OpenAI({
      apiKey: o.apiKey,
      baseURL: o.baseUrl,
      maxRetries: 0,
      // The executor aborts at the route's timeout; this is only a backstop.
      timeout: (o.timeoutMs ?? 600_000) + 5_000,
      defaultHeaders: o.headers,
    });
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const messages: ChatCompletionMessageParam[] = [{ role: "system", content: req.system }];
    for (const turn of req.turns) {
      if (turn.role === "model") {
        messages.push({ role: "assistant", content: turn.text });
        continue;
      }
      const content: ChatCompletionContentPart[] = [{ type: "text", text: turn.text }];
      if (turn.image) {
        content.push({ type: "image_url", image_url: { url: `data:${turn.image.mime};base64,${Buffer.from(turn.image.bytes).toString("base64")}` } });
      }
      messages.push({ role: "user", content });
    }
    const params: ChatCompletionCreateParamsNonStreaming = { model: this.o.model, messages, temperature: this.o.temperature ?? 0 };
    if (this.o.maxOutputTokens) params.max_tokens = this.o.maxOutputTokens;
    if (req.jsonSchema && req.jsonSchema.schema && this.o.structuredOutput === "json_schema") {
      params.response_format = {
        type: "json_schema",
        // strict: false: strict mode refuses most real-world schemas (it wants every property required).
        json_schema: { name: req.jsonSchema.name, schema: schemaForOpenAI(req.jsonSchema.schema), strict: false },
      };
    } else if (req.jsonSchema && this.o.structuredOutput !== "none") {
      params.response_format = { type: "json_object" };
    }
    let completion;
    try {
      completion = await this.client.chat.completions.create(params, { signal: req.signal });
    } catch (err) {
      throw toRouteError(err, this.o.name);
    }
    const choice = completion.choices?.[0];
    if (!choice) throw new RouteError(`openai:${this.o.name} answered without a choice.`, "bad_output");
    const text = typeof choice.message?.content === "string" ? choice.message.content : "";
    const usage = completion.usage ? { inputTokens: completion.usage.prompt_tokens ?? 0, outputTokens: completion.usage.completion_tokens ?? 0 } : undefined;
    return { text, usage, truncated: choice.finish_reason === "length" };
  }
}

function toRouteError(err: unknown, name: string): unknown {
  const label = `openai:${name}`;
  if (err instanceof APIUserAbortError) return err; // the executor's timeout or a shutdown: it knows which
  if (err instanceof APIConnectionTimeoutError) return new RouteError(`${label} did not answer in time.`, "timeout");
  if (err instanceof APIConnectionError) return new RouteError(`${label} could not be reached (${shortCause(err)}).`, "network");
  if (err instanceof APIError && typeof err.status === "number") {
    const retryAfterMs = err.headers ? parseRetryAfter((h) => err.headers!.get(h)) : undefined;
    const detail = providerMessage(err);
    return new RouteError(`${label} answered HTTP ${err.status}${detail ? `: ${detail}` : ""}.`, kindForStatus(err.status), { status: err.status, retryAfterMs });
  }
  return err;
}

function shortCause(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  const text = cause instanceof Error ? `${(cause as { code?: string }).code ?? ""} ${cause.message}`.trim() : err.message;
  return text.slice(0, 160);
}

/** The provider's own error text, short (it never contains our key; it may name the model). */
function providerMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  const msg = typeof body?.message === "string" ? body.message : "";
  return msg.replace(/\s+/g, " ").slice(0, 200);
}

export function openAIRoute(o: OpenAIRouteOptions): VlmRoute {
  return new VlmRoute({ ...o, provider: "openai" }, new OpenAIChatClient(o));
}
