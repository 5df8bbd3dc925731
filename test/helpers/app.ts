/** Builds a real app on a temp dir with real SQLite and local storage, listening on 127.0.0.1. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/config";
import { createApp, type AppDeps } from "../../src/app";
import { silentLogger } from "../../src/lib/logger";

export const TEST_API_KEY = "lo_test_key_0123456789abcdef";

export interface TestServer {
  baseUrl: string;
  apiKey: string;
  dataDir: string;
  server: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<Config> = {}, deps: AppDeps = {}, opts: { dataDir?: string; keepData?: boolean } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "leapocr-test-"));
  const config = loadConfig({}, {}, { port: 0, host: "127.0.0.1", dataDir, bootstrapApiKey: TEST_API_KEY, ocrWorkers: 1, pageConcurrency: 2, ...overrides });
  const server = createApp(config, { logger: silentLogger, ...deps });
  await server.start();
  server.app.listen({ port: 0, hostname: "127.0.0.1" });
  const baseUrl = `http://127.0.0.1:${server.app.server!.port}`;
  return {
    baseUrl,
    apiKey: TEST_API_KEY,
    dataDir,
    server,
    async close() {
      await server.app.stop(true);
      await server.close();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
