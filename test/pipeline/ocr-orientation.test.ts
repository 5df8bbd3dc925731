/**
 * Issue 14: scanned pages are turned upright (quarter turns and skew) before they are read, at
 * no loss: every turned scan's character error rate is within 1 point of the same page read
 * upright, and boxes still refer to the page as uploaded.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { holdRenderPool } from "../../src/pipeline/document";
import { createOcrEngine, type OcrResult } from "../../src/pipeline/ocr/index.ts";
import { boxToUploaded, estimateSkew, needsOrientation, type GreyImage } from "../../src/pipeline/ocr/upright.ts";
import { hasShared, sharedPath } from "../helpers/shared";
import { SCAN_LINES, SCAN_TURNS, turnedScan, uprightScan } from "../fixtures/fidelity/scans";

setDefaultTimeout(120_000);

const engine = createOcrEngine({ workers: 2 });
const releasePool = holdRenderPool();
afterAll(async () => {
  await engine.close();
  await releasePool();
});

const normalise = (s: string) => s.replace(/\s+/g, " ").trim();

function levenshtein(a: string, b: string): number {
  const x = [...a], y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1);
    prev = cur;
  }
  return prev[y.length]!;
}

const TRUTH = normalise(SCAN_LINES.join(" "));
const cer = (r: OcrResult) => levenshtein(normalise(r.text), TRUTH) / TRUTH.length;

describe("scans are read upright", () => {
  let upright: Uint8Array;
  const read = new Map<string, OcrResult>();

  beforeAll(async () => {
    upright = await uprightScan();
    // Both workers busy at once: the whole set costs about four page readings.
    await Promise.all(
      SCAN_TURNS.map(async (t) => {
        read.set(t.name, await engine.recognize(await turnedScan(t.degrees, upright)));
      }),
    );
    const figures = SCAN_TURNS.map((t) => `${t.name} ${(cer(read.get(t.name)!) * 100).toFixed(2)}%`);
    console.log(`scan CER: ${figures.join(", ")}`);
  }, 600_000); // eight page readings: ~15 s on a quiet machine, minutes on a crowded one

  test("the upright page is read well (the baseline the others are held to)", () => {
    const r = read.get("upright")!;
    expect(cer(r)).toBeLessThan(0.02);
    expect(r.upright).toMatchObject({ rotation: 0, deskew: 0 });
  });

  for (const t of SCAN_TURNS.slice(1)) {
    test(`${t.name}: CER within 1 point of the upright page`, () => {
      const r = read.get(t.name)!;
      expect(cer(r)).toBeLessThanOrEqual(cer(read.get("upright")!) + 0.01);
      // The turn that was undone: the quarter turn back, or the skew taken off.
      const quarter = ((t.degrees % 360) + 360) % 360;
      if (quarter % 90 === 0) expect(r.upright!.rotation).toBe((360 - quarter) % 360);
      else expect(Math.abs(r.upright!.deskew + t.degrees)).toBeLessThan(0.5);
    });
  }

  test("width, height and boxes refer to the page as uploaded", async () => {
    const { loadSharp } = await import("../../src/lib/sharp");
    const sharp = await loadSharp();
    const up = read.get("upright")!;
    const title = up.paragraphs[0]!.lines[0]!.words[0]!; // "Northfield"
    expect(title.text).toBe("Northfield");
    for (const t of SCAN_TURNS.slice(1)) {
      const r = read.get(t.name)!;
      const meta = await sharp(await turnedScan(t.degrees, upright)).metadata();
      expect([r.width, r.height]).toEqual([meta.width!, meta.height!]);
      // Where the upright box lands when the page is turned by `degrees` about its centre on
      // the grown canvas: the word read on the turned page must be there (a few pixels' slack).
      const turned = turnBox(title.bounds, t.degrees, up.width, up.height, r.width, r.height);
      const word = r.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words)).find((w) => w.text === "Northfield")!;
      expect(word).toBeDefined();
      for (const k of ["x", "y", "width", "height"] as const) expect(Math.abs(word.bounds[k] - turned[k])).toBeLessThanOrEqual(8);
    }
  });
});

/** A box on a w x h page, turned clockwise by `degrees` about the centre onto a W x H canvas centred on it. */
function turnBox(b: { x: number; y: number; width: number; height: number }, degrees: number, w: number, h: number, W: number, H: number) {
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a), sin = Math.sin(a);
  const pts = [
    [b.x, b.y],
    [b.x + b.width, b.y],
    [b.x, b.y + b.height],
    [b.x + b.width, b.y + b.height],
  ].map(([x, y]) => {
    const dx = x! - w / 2, dy = y! - h / 2;
    return [W / 2 + dx * cos - dy * sin, H / 2 + dx * sin + dy * cos] as const;
  });
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  return { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
}

describe("skew measurement", () => {
  /** Dark bars like lines of text, tilted `degrees` clockwise, on a white page. */
  function lines(degrees: number, width = 1200, height = 1600): GreyImage {
    const data = new Uint8Array(width * height).fill(255);
    const t = Math.tan((degrees * Math.PI) / 180);
    for (let y = 0; y < height; y++) {
      for (let x = 100; x < width - 100; x++) {
        const y0 = y - (x - width / 2) * t;
        // 14 px of "ink" every 40 px, broken into words by gaps that move from line to line.
        const line = Math.floor(y0 / 40);
        if (y0 > 200 && y0 < height - 200 && ((y0 % 40) + 40) % 40 < 14 && (x + line * 17) % 23 > 4) data[y * width + x] = 20;
      }
    }
    return { data, width, height };
  }

  test("finds the angle of tilted lines, both ways, to a few tenths of a degree", () => {
    for (const deg of [0, 2.5, -4, 9, -15]) {
      const e = estimateSkew(lines(deg));
      expect(e.vertical).toBe(false);
      expect(Math.abs(e.angle - deg)).toBeLessThanOrEqual(0.2);
    }
  });

  test("lines running down the page are found as such", () => {
    const img = lines(3, 1600, 1200);
    // Turn the page a quarter clockwise: rows become columns.
    const { width: w, height: h } = img;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[x * h + (h - 1 - y)] = img.data[y * w + x]!;
    const e = estimateSkew({ data, width: h, height: w });
    expect(e.vertical).toBe(true);
    expect(Math.abs(e.angle - 3)).toBeLessThanOrEqual(0.2);
  });

  test("Latin lines measure more ink above their x-height than below: clearly so upright, the other way upside down", async () => {
    const { loadSharp } = await import("../../src/lib/sharp");
    const sharp = await loadSharp();
    const page = await uprightScan();
    const grey = async (deg: number) => {
      const { data, info } = await sharp(await turnedScan(deg, page)).greyscale().raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data), width: info.width, height: info.height };
    };
    for (const deg of [0, 4, -7]) expect(estimateSkew(await grey(deg)).ascent).toBeGreaterThan(0.3);
    for (const deg of [180, 184]) expect(estimateSkew(await grey(deg)).ascent).toBeLessThan(-0.3);
    // On its side the lines run down the page: not measured (OSD decides).
    expect(estimateSkew(await grey(90))).toMatchObject({ vertical: true, ascent: 0 });
  });

  test("orientation detection runs only when the ascent leaves doubt: its sign tells up from down", () => {
    // eurotext measures 0.22 (OSD was a third of its reading); the lowest upright page seen 0.07.
    expect(needsOrientation({ vertical: false, ascent: 0.22 }, "eng")).toBe(false);
    expect(needsOrientation({ vertical: false, ascent: 0.15 }, "eng+fra")).toBe(false);
    expect(needsOrientation({ vertical: false, ascent: 0.07 }, "eng")).toBe(true);
    expect(needsOrientation({ vertical: false, ascent: -0.22 }, "eng")).toBe(true);
    expect(needsOrientation({ vertical: true, ascent: 0 }, "eng")).toBe(true);
    expect(needsOrientation({ vertical: false, ascent: 0.9 }, "ara")).toBe(true);
  });

  test.skipIf(!hasShared("benchmarks/ocr-scans/eurotext.tif"))("eurotext (the bench's page paying OSD) is known upright, and upside down is not", async () => {
    const { loadSharp } = await import("../../src/lib/sharp");
    const sharp = await loadSharp();
    for (const deg of [0, 180]) {
      const { data, info } = await sharp(sharedPath("benchmarks/ocr-scans/eurotext.tif")).rotate(deg).greyscale().raw().toBuffer({ resolveWithObject: true });
      const e = estimateSkew({ data: new Uint8Array(data), width: info.width, height: info.height });
      expect(needsOrientation(e, "eng")).toBe(deg !== 0);
    }
  });

  test("a blank page or a photo-like page is left alone", () => {
    const blank = { data: new Uint8Array(800 * 600).fill(250), width: 800, height: 600 };
    expect(estimateSkew(blank)).toMatchObject({ angle: 0, textBand: null });
    const noise = new Uint8Array(800 * 600);
    let seed = 7;
    for (let i = 0; i < noise.length; i++) noise[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    expect(estimateSkew({ data: noise, width: 800, height: 600 }).angle).toBe(0);
  });

  test("boxes map back through a quarter turn and a deskew", () => {
    // A 100 x 50 page turned a quarter clockwise is 50 x 100; its top-left corner is now top-right.
    expect(boxToUploaded({ x: 40, y: 0, width: 10, height: 10 }, { rotation: 90, deskew: 0 }, 100, 50)).toEqual({ x: 0, y: 0, width: 10, height: 10 });
    expect(boxToUploaded({ x: 0, y: 0, width: 10, height: 10 }, { rotation: 180, deskew: 0 }, 100, 50)).toEqual({ x: 90, y: 40, width: 10, height: 10 });
    // No turn: the box as read.
    const b = { x: 3, y: 4, width: 5, height: 6 };
    expect(boxToUploaded(b, { rotation: 0, deskew: 0 }, 100, 50)).toBe(b);
  });
});
