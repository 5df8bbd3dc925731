// Runs zerox (npm) once on a PDF against the loopback model, under Node, and prints one JSON line.
// Copied next to a zerox install by bench/model-throughput.ts:
//   node run.mjs <pdf> <endpoint> <concurrency> <dpi> <image height>
// zerox's OpenAI provider posts to api.openai.com with a fixed URL, so the loopback model is
// reached through its Azure OpenAI provider (the openai SDK's AzureOpenAI client, same
// /chat/completions wire format, the endpoint configurable).
import { zerox } from "zerox";

const [pdf, endpoint, concurrency, dpi, height] = process.argv.slice(2);
const started = performance.now();
const res = await zerox({
  filePath: pdf,
  concurrency: Number(concurrency),
  modelProvider: "AZURE",
  model: "gpt-4o",
  credentials: { apiKey: "loopback", endpoint },
  maintainFormat: false, // true would send the pages one after the other
  cleanup: true,
  imageDensity: Number(dpi),
  imageHeight: Number(height),
  correctOrientation: false,
  trimEdges: false,
});
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, pages: res.pages.length, failed: res.summary?.ocr?.failed ?? 0 }));
