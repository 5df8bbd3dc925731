/**
 * A client that follows the official LeapOCR SDKs' flow exactly as API-COMPAT.md describes it:
 * direct upload -> PUT each part to its URL without the API key -> complete -> poll -> result.
 */
export interface UploadOptions {
  format?: "markdown" | "structured" | "per_page_structured";
  model?: string;
  instructions?: string;
  schema?: Record<string, unknown>;
  extract_bounding_boxes?: boolean;
  contentType?: string;
}

export class SdkClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
    readonly prefix = "/api/v1",
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.baseUrl}${this.prefix}${path}`, {
      method,
      headers: { "X-API-KEY": this.apiKey, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** The API key's team (its first) with its organization: the ids in every workspace route. */
  async team(): Promise<{ id: string; organization_id: string }> {
    const me = await this.call("GET", "/auth/verify");
    if (me.status !== 200) throw new Error(`verify failed: ${me.status} ${JSON.stringify(me.body)}`);
    return me.body.teams[0];
  }

  /** Uploads like the JS SDK: cuts the file into parts.length chunks of ceil(size/parts) bytes. */
  async upload(bytes: Uint8Array, fileName: string, options: UploadOptions = {}): Promise<string> {
    const { contentType = "application/pdf", ...rest } = options;
    const init = await this.call("POST", "/ocr/uploads/direct", { file_name: fileName, file_size: bytes.length, content_type: contentType, ...rest });
    if (init.status !== 200) throw new Error(`direct upload failed: ${init.status} ${JSON.stringify(init.body)}`);
    const parts = init.body.parts as { part_number: number; upload_url: string }[];
    const chunk = Math.ceil(bytes.length / parts.length);
    const done: { part_number: number; etag: string }[] = [];
    for (const part of parts) {
      const res = await fetch(part.upload_url, { method: "PUT", body: bytes.subarray((part.part_number - 1) * chunk, part.part_number * chunk) });
      if (!res.ok) throw new Error(`part PUT failed: ${res.status} ${await res.text()}`);
      done.push({ part_number: part.part_number, etag: res.headers.get("etag")! });
    }
    const complete = await this.call("POST", `/ocr/uploads/${init.body.job_id}/complete`, { parts: done });
    if (complete.status !== 200) throw new Error(`complete failed: ${complete.status} ${JSON.stringify(complete.body)}`);
    return init.body.job_id as string;
  }

  async waitForJob(jobId: string, timeoutMs = 120_000): Promise<any> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const status = await this.call("GET", `/ocr/status/${jobId}`);
      if (status.status !== 200) throw new Error(`status failed: ${status.status} ${JSON.stringify(status.body)}`);
      if (status.body.status === "completed" || status.body.status === "failed") return status.body;
      await Bun.sleep(100);
    }
    throw new Error(`job ${jobId} did not finish in ${timeoutMs} ms`);
  }

  async result(jobId: string, page = 1, limit = 100): Promise<any> {
    const res = await this.call("GET", `/ocr/result/${jobId}?page=${page}&limit=${limit}`);
    if (res.status !== 200) throw new Error(`result failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}
