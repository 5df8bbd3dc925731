/**
 * A loopback OpenAI-compatible model with a fixed latency, in its own process (as a real
 * provider is): every chat completion is answered after `--latency-ms`. Started by
 * bench/model-throughput.ts; prints one JSON line `{ baseUrl, statsUrl }` and serves
 * GET statsUrl -> { peakInFlight, arrivals (epoch ms), occupancy (calls in flight every 10 ms
 * from the first call) } and resets them.
 */
import { startMockModel } from "../../test/helpers/mock-models";

const i = process.argv.indexOf("--latency-ms");
const latencyMs = i > 0 ? Number(process.argv[i + 1]) : 1000;
let inFlight = 0;
let peakInFlight = 0;
let arrivals: number[] = [];
let occupancy: number[] = [];

const mock = await startMockModel(
  "openai",
  async () => {
    arrivals.push(Date.now());
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    await Bun.sleep(latencyMs);
    inFlight--;
    return { text: "# Page\n\nSome text read by the model." };
  },
  { record: false },
);
setInterval(() => arrivals.length > 0 && occupancy.push(inFlight), 10);

const stats = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch() {
    const body = JSON.stringify({ peakInFlight, arrivals, occupancy });
    peakInFlight = 0;
    arrivals = [];
    occupancy = [];
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
});
console.log(JSON.stringify({ baseUrl: mock.baseUrl, statsUrl: `http://127.0.0.1:${stats.port}/stats` }));
process.on("SIGTERM", () => process.exit(0));
