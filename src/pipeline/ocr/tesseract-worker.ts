/**
 * OCR worker: drives tesseract.js-core (Tesseract 5 compiled to WebAssembly, SIMD build with the
 * legacy engine, which orientation detection needs; pages are read by the LSTM engine) directly, without tesseract.js's own worker loader (which resolves files from
 * node_modules at run time and so fails inside a `bun build --compile` executable).
 *
 * Before a page is read it is turned upright (upright.ts): the skew is measured on its grey
 * pixels, the quarter turn found by Tesseract's OSD on a band of it, and Tesseract turns the
 * image by both before recognising; boxes are mapped back to the page as uploaded.
 *
 * The .wasm, the English traineddata and osd.traineddata are imported as file assets, so the compiled binary
 * embeds them and nothing is ever fetched. This file must be passed to `bun build --compile`
 * as an extra entrypoint (see index.ts).
 */
import wasmPath from "tesseract.js-core/tesseract-core-simd.wasm" with { type: "file" };
import engPath from "@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz" with { type: "file" };
import osdPath from "@tesseract.js-data/osd/4.0.0_best_int/osd.traineddata.gz" with { type: "file" };
import TesseractCore from "tesseract.js-core/tesseract-core-simd.js";
import type { RecognizeRequest, WorkerInit, WorkerReply, WorkerRequest } from "./protocol.ts";
import type { Box, OcrLine, OcrParagraph, OcrResult, OcrWord } from "./types.ts";
import { unionBox } from "./boxes.ts";
import { boxToUploaded, estimateSkew, MIN_SKEW, needsOrientation, pgm, type GreyImage, type Uprighting } from "./upright.ts";

declare const self: Worker;

// PageIteratorLevel
const RIL_BLOCK = 0;
const RIL_PARA = 1;
const RIL_TEXTLINE = 2;
const RIL_WORD = 3;
const OEM_TESSERACT_ONLY = 0;
const OEM_LSTM_ONLY = 1;
const PSM_AUTO = 3;
const TESSDATA = "/tessdata";

let config: WorkerInit = { type: "init", langs: ["eng"] };
let mod: any = null;
let api: any = null;
let currentLang = "";
let osdApi: any = null;
const loaded = new Set<string>();

async function loadModule(): Promise<any> {
  const wasmBinary = await Bun.file(wasmPath).arrayBuffer();
  const m = await TesseractCore({
    wasmBinary,
    // Tesseract's own messages (e.g. "Invalid resolution 0 dpi") are not ours to print.
    print: () => {},
    printErr: () => {},
    TesseractProgress: () => {},
  });
  m.FS.mkdir(TESSDATA);
  return m;
}

async function readTraineddata(lang: string): Promise<Uint8Array> {
  let bytes: Uint8Array<ArrayBuffer> | null = null;
  if (config.langDataDir) {
    for (const name of [`${lang}.traineddata`, `${lang}.traineddata.gz`]) {
      const f = Bun.file(`${config.langDataDir}/${name}`);
      if (await f.exists()) {
        bytes = await f.bytes();
        break;
      }
    }
  }
  if (!bytes && lang === "eng") bytes = await Bun.file(engPath).bytes();
  if (!bytes) throw new Error(`no traineddata for language "${lang}"${config.langDataDir ? ` in ${config.langDataDir}` : ""}`);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? Bun.gunzipSync(bytes) : bytes;
}

async function ensureApi(lang: string): Promise<void> {
  if (!mod) mod = await loadModule();
  if (api && currentLang === lang) return;
  const parts = lang.split("+").filter(Boolean);
  if (parts.length === 0) throw new Error("empty language");
  for (const part of parts) {
    if (!config.langs.includes(part)) throw new Error(`language "${part}" is not enabled (enabled: ${config.langs.join(", ")})`);
    if (!loaded.has(part)) {
      mod.FS.writeFile(`${TESSDATA}/${part}.traineddata`, await readTraineddata(part));
      loaded.add(part);
    }
  }
  if (api) {
    api.End();
    mod.destroy(api);
    api = null;
  }
  const next = new mod.TessBaseAPI();
  if (next.Init(TESSDATA, parts.join("+"), OEM_LSTM_ONLY) !== 0) {
    mod.destroy(next);
    throw new Error(`Tesseract could not load language "${lang}"`);
  }
  next.SetPageSegMode(PSM_AUTO);
  next.SetVariable("debug_file", "/dev/null");
  api = next;
  currentLang = lang;
}

/** Width and height from a PNG header; null for other formats. */
function pngSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 24 || b[0] !== 0x89 || b[1] !== 0x50 || b[2] !== 0x4e || b[3] !== 0x47) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/**
 * Orientation detection classifies at least this many characters (Tesseract's
 * min_characters_to_try, default 50) and at most five times as many, stopping once it is sure.
 * 20 was right on every page measured (test/pipeline/ocr-orientation.test.ts, the olmOCR
 * sample); it still costs about a third of reading a small page, hence the shortcut below.
 */
const OSD_MIN_CHARACTERS = 20;
/**
 * A quarter turn is made only when its score beats the next best by this much (Tesseract's
 * min_orientation_margin for `--psm 1` is 7; with fewer characters tried the margins are smaller).
 * Below it the page is read as it is: a wrong turn would lose the whole page.
 */
const MIN_ORIENTATION_MARGIN = 5;
/** Tesseract's OSD orientation_id -> degrees clockwise that turn the page upright. */
const OSD_TURN = [0, 270, 180, 90];
/** Degrees clockwise -> the EXIF orientation tesseract.js-core's SetImageFile applies (1 = as is). */
const EXIF_FOR_TURN: Record<number, number> = { 0: 1, 90: 6, 180: 3, 270: 8 };

function ensureOsd(): any {
  if (osdApi) return osdApi;
  const next = new mod.TessBaseAPI();
  if (next.Init(TESSDATA, "osd", OEM_TESSERACT_ONLY) !== 0) {
    mod.destroy(next);
    throw new Error("Tesseract could not load its orientation model (osd.traineddata)");
  }
  next.SetVariable("debug_file", "/dev/null");
  next.SetVariable("min_characters_to_try", String(OSD_MIN_CHARACTERS));
  osdApi = next;
  return osdApi;
}

let osdLoaded = false;

/** Degrees clockwise (0, 90, 180, 270) that turn the text in `band` of the page upright; 0 when unsure. */
async function detectTurn(grey: GreyImage, band: { x: number; y: number; width: number; height: number }): Promise<number> {
  if (!osdLoaded) {
    mod.FS.writeFile(`${TESSDATA}/osd.traineddata`, Bun.gunzipSync(await Bun.file(osdPath).bytes()));
    osdLoaded = true;
  }
  const osd = ensureOsd();
  mod.FS.writeFile("/input", pgm(grey, band));
  const results = new mod.OSResults();
  try {
    if (osd.SetImageFile(1, 0) === 1) return 0;
    // False when there are too few characters to judge.
    if (!osd.DetectOS(results)) return 0;
    const best = results.best_result;
    return best.oconfidence >= MIN_ORIENTATION_MARGIN ? (OSD_TURN[best.orientation_id] ?? 0) : 0;
  } finally {
    mod.destroy(results);
    osd.Clear();
    mod.FS.unlink("/input");
  }
}

/** How to turn the page before reading it: a quarter turn from OSD, then minus its measured skew. */
async function uprighting(grey: GreyImage, lang: string): Promise<Uprighting> {
  const skew = estimateSkew(grey);
  const deskew = Math.abs(skew.angle) >= MIN_SKEW ? -skew.angle : 0;
  // The cheap case, most pages: Latin text clearly the right way up. OSD costs a third of
  // reading a small page; this test a few percent.
  if (!needsOrientation(skew, lang)) return { rotation: 0, deskew };
  let rotation = 0;
  try {
    if (skew.textBand) rotation = await detectTurn(grey, skew.textBand);
  } catch (err) {
    // The page is still read, as it lies; only a broken wasm module stops it.
    if (err instanceof WebAssembly.RuntimeError) throw err;
  }
  return { rotation, deskew };
}

function toBox(bb: { x0: number; y0: number; x1: number; y1: number }): Box {
  return { x: bb.x0, y: bb.y0, width: bb.x1 - bb.x0, height: bb.y1 - bb.y0 };
}

/** Mean confidence weighted by text length. */
function weighted(words: OcrWord[]): number {
  let sum = 0, n = 0;
  for (const w of words) {
    const len = [...w.text].length;
    sum += w.confidence * len;
    n += len;
  }
  return n > 0 ? sum / n : 0;
}

function clamp01(c: number): number {
  return Math.min(1, Math.max(0, c / 100));
}

async function recognize(req: RecognizeRequest): Promise<OcrResult> {
  const started = performance.now();
  const turn: Uprighting = req.grey ? await uprighting(req.grey, req.lang) : { rotation: 0, deskew: 0 };
  const uprightMs = performance.now() - started;
  mod.FS.writeFile("/input", req.image);
  // The EXIF orientation turns the page by quarters, the angle (radians, clockwise) deskews it
  // about its centre at the same size. Returns 1 when Leptonica cannot read the image.
  if (api.SetImageFile(EXIF_FOR_TURN[turn.rotation] ?? 1, (turn.deskew * Math.PI) / 180) === 1) throw new Error("could not decode the image");
  mod.FS.unlink("/input");
  let size = pngSize(req.image) ?? (req.grey ? { width: req.grey.width, height: req.grey.height } : null);
  if (!size) {
    const pix = api.GetInputImage?.();
    size = { width: pix?.get_w?.() ?? 0, height: pix?.get_h?.() ?? 0 };
  }
  const { width, height } = size;
  // Boxes are read on the turned page and reported on the page as uploaded.
  const place = (bb: { x0: number; y0: number; x1: number; y1: number }) => boxToUploaded(toBox(bb), turn, width, height);
  if (api.Recognize(null) !== 0) throw new Error("recognition failed");

  // Walk the result word by word (much cheaper than GetJSONText/GetHOCRText, and gives the
  // row's fitted font height that TSV lacks).
  const paragraphs: OcrParagraph[] = [];
  let para: OcrLine[] | null = null;
  let line: OcrLine | null = null;
  let newPara = true;
  let newLine = true;
  const it = api.GetIterator();
  try {
    it.Begin();
    if (!it.Empty(RIL_BLOCK)) {
      for (;;) {
        if (!it.Empty(RIL_WORD)) {
          // Blank "words" are skipped, so remember where a paragraph or line began.
          newPara ||= it.IsAtBeginningOf(RIL_PARA) || it.IsAtBeginningOf(RIL_BLOCK);
          newLine ||= newPara || it.IsAtBeginningOf(RIL_TEXTLINE);
          const text = String(it.GetUTF8Text(RIL_WORD) ?? "").trim();
          if (text) {
            if (!para || newPara) {
              para = [];
              paragraphs.push({ text: "", confidence: 0, bounds: { x: 0, y: 0, width: 0, height: 0 }, lines: para });
              line = null;
            }
            if (!line || newLine) {
              const ra = it.getRowAttributes();
              line = {
                text: "",
                confidence: 0,
                bounds: place(it.getBoundingBox(RIL_TEXTLINE)),
                words: [],
                fontHeight: Math.round(Number(ra.row_height) * 10) / 10,
              };
              para.push(line);
            }
            newPara = newLine = false;
            line.words.push({ text, confidence: clamp01(it.Confidence(RIL_WORD)), bounds: place(it.getBoundingBox(RIL_WORD)) });
          }
        }
        if (!it.Next(RIL_WORD)) break;
      }
    }
  } finally {
    mod.destroy(it);
  }
  api.Clear();

  const allWords: OcrWord[] = [];
  for (const p of paragraphs) {
    for (const l of p.lines) {
      l.text = l.words.map((w) => w.text).join(" ");
      l.confidence = weighted(l.words);
      l.bounds = unionBox([l.bounds, ...l.words.map((w) => w.bounds)].filter((b) => b.width > 0));
      // A fitted row height far from the line's box (tiny noise rows) is not trusted.
      if (!(l.fontHeight > 0) || l.fontHeight > l.bounds.height * 2) l.fontHeight = l.bounds.height;
      allWords.push(...l.words);
    }
    p.text = p.lines.map((l) => l.text).join("\n");
    p.confidence = weighted(p.lines.flatMap((l) => l.words));
    p.bounds = unionBox(p.lines.map((l) => l.bounds));
  }
  return {
    text: paragraphs.map((p) => p.text).join("\n\n"),
    confidence: weighted(allWords),
    width,
    height,
    paragraphs,
    upright: { ...turn, ms: Math.round(uprightMs * 10) / 10 },
  };
}

let chain: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  if (msg.type === "init") {
    config = msg;
    return;
  }
  // One job at a time, in order (the engine sends one at a time anyway).
  chain = chain.then(async () => {
    let reply: WorkerReply;
    try {
      await ensureApi(msg.lang);
      reply = { type: "result", id: msg.id, result: await recognize(msg) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // An Emscripten abort or a wasm trap leaves the module in an unknown state.
      const fatal = err instanceof WebAssembly.RuntimeError || /Aborted|RuntimeError/.test(message);
      try {
        api?.Clear();
      } catch {}
      reply = { type: "error", id: msg.id, message, fatal };
    }
    self.postMessage(reply);
  });
};
