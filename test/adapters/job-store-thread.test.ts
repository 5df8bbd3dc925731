/**
 * The job store runs on its own thread and connection (src/adapters/job-store-worker.ts): while
 * that thread sits inside an open write transaction, as a long pipeline transaction would, the
 * HTTP thread still answers status and result reads from its own connection. Not timed:
 * the proof is that the reads complete while the store's thread is provably stuck (another
 * connection cannot take the write lock, and a job creation, a store write, waits until release).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { digitalPdf } from "../helpers/fixtures";

let t: TestServer;
let client: SdkClient;

beforeAll(async () => {
  t = await startTestServer();
  client = new SdkClient(t.baseUrl, t.apiKey);
});
afterAll(async () => {
  await t?.close();
});

test("status and result reads complete while the job store's thread holds a write transaction open", async () => {
  const jobId = await client.upload(await digitalPdf([{ heading: "Invoice 0001", paragraphs: ["Total 42.00 EUR"] }]), "held.pdf");
  expect((await client.waitForJob(jobId)).status).toBe("completed");
  // The first full read of the results is itself a store write (the retention clock): done before.
  expect((await client.result(jobId)).pages[0].result).toContain("Invoice 0001");

  const hold = await t.server.storeThread.holdWriteTransaction(120_000);
  let created: Promise<{ status: number; body: any }> | null = null;
  try {
    // The lock is really held: another connection cannot write.
    const other = new Database(join(t.dataDir, "leapocr.db"));
    try {
      other.exec("PRAGMA busy_timeout = 0");
      expect(() => other.exec("UPDATE health_probe SET checked_at = checked_at")).toThrow(/locked|busy/i);
    } finally {
      other.close();
    }
    // A store write from an HTTP handler goes to the held thread and waits there...
    let settled = false;
    created = client.call("POST", "/ocr/uploads/direct", { file_name: "later.pdf", file_size: 10, content_type: "application/pdf" }).then((r) => {
      settled = true;
      return r;
    });

    // ...while the reads are answered from the HTTP thread's own connection.
    const status = await client.call("GET", `/ocr/status/${jobId}`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ id: jobId, status: "completed", processed_pages: 1, total_pages: 1 });
    const result = await client.call("GET", `/ocr/result/${jobId}`);
    expect(result.status).toBe(200);
    expect(result.body.pages[0].result).toContain("Invoice 0001");

    expect(settled).toBe(false); // the thread was stuck the whole time
  } finally {
    await hold.release();
  }
  const later = await created!;
  expect(later.status).toBe(200);
  expect((await client.call("GET", `/ocr/status/${later.body.job_id}`)).body.status).toBe("pending");
});
