import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hasShared, sharedPath } from "../helpers/shared";
import { loadSharp } from "../../src/lib/sharp";
import { ImageError, imagePageToPng, probeImage, resizeForModel } from "../../src/pipeline/image/index";

const sharp = await loadSharp();

const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();

async function rejection(p: Promise<unknown>): Promise<ImageError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ImageError);
    return err as ImageError;
  }
  throw new Error("expected an ImageError");
}

describe("multi-page TIFF", () => {
  test("reports every page and converts each one", async () => {
    const pages = [await solid(60, 40, "#ff0000"), await solid(60, 40, "#00ff00"), await solid(60, 40, "#0000ff")];
    const tiff = await sharp(pages, { join: { animated: true } }).tiff({ compression: "lzw" }).toBuffer();
    const info = await probeImage(tiff);
    expect(info).toEqual({ kind: "tiff", pages: 3, width: 60, height: 40 });

    const colours: number[][] = [];
    for (let i = 0; i < info.pages; i++) {
      const out = await imagePageToPng(tiff, i);
      expect([out.width, out.height]).toEqual([60, 40]);
      const { data } = await sharp(out.png).raw().toBuffer({ resolveWithObject: true });
      colours.push([data[0]!, data[1]!, data[2]!]);
    }
    expect(colours).toEqual([
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ]);
  });

  test("a page index past the end is a programming error, not a corrupt image", async () => {
    const tiff = await sharp(await solid(10, 10, "#fff")).tiff().toBuffer();
    expect(imagePageToPng(tiff, 1)).rejects.toBeInstanceOf(RangeError);
  });

  test.skipIf(!hasShared("benchmarks/ocr-scans/phototest.tif"))("a real bilevel 300 DPI scan converts to 8-bit PNG, optionally shrunk", async () => {
    const scan = readFileSync(sharedPath("benchmarks/ocr-scans/phototest.tif"));
    const info = await probeImage(scan);
    expect(info).toMatchObject({ kind: "tiff", pages: 1, width: 640, height: 480 });
    const out = await imagePageToPng(scan, 0, { maxLongSide: 320, grayscale: true });
    expect([out.width, out.height]).toEqual([320, 240]);
    const meta = await sharp(out.png).metadata();
    expect(meta.format).toBe("png");
    expect(meta.depth).toBe("uchar");
    expect(meta.channels).toBe(1);
  });
});

describe("single images", () => {
  test("a JPEG with EXIF orientation 6 comes out upright", async () => {
    // Stored 80x40, tagged "rotate 90° clockwise to display".
    const jpeg = await sharp({ create: { width: 80, height: 40, channels: 3, background: "#336699" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await probeImage(jpeg)).toEqual({ kind: "jpeg", pages: 1, width: 40, height: 80 });
    const out = await imagePageToPng(jpeg, 0);
    expect([out.width, out.height]).toEqual([40, 80]);
    expect((await sharp(out.png).metadata()).orientation).toBeUndefined();
  });

  test("a transparent WebP is flattened onto white", async () => {
    const webp = await sharp({ create: { width: 30, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .webp({ lossless: true })
      .toBuffer();
    expect(await probeImage(webp)).toEqual({ kind: "webp", pages: 1, width: 30, height: 20 });
    const out = await imagePageToPng(webp, 0);
    const { data, info } = await sharp(out.png).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect([data[0], data[1], data[2]]).toEqual([255, 255, 255]);
  });

  test("a 16-bit PNG becomes 8-bit", async () => {
    const png16 = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    const out = await imagePageToPng(png16, 0);
    expect((await sharp(out.png).metadata()).depth).toBe("uchar");
  });
});

describe("bad input", () => {
  test("a truncated PNG is reported as corrupt", async () => {
    const noisy = await sharp({ create: { width: 400, height: 300, channels: 3, background: "#fff", noise: { type: "gaussian", mean: 128, sigma: 40 } } })
      .png()
      .toBuffer();
    const truncated = noisy.subarray(0, Math.floor(noisy.length / 2));
    const err = await rejection(imagePageToPng(truncated, 0));
    expect(err.kind).toBe("corrupt");
    expect(err.message).toMatch(/damaged or incomplete/);
  });

  test("a header cut short and random bytes are corrupt, empty input is empty", async () => {
    const png = await solid(10, 10, "#000");
    expect((await rejection(probeImage(png.subarray(0, 20)))).kind).toBe("corrupt");
    expect((await rejection(imagePageToPng(png.subarray(0, 20), 0))).kind).toBe("corrupt");
    const junk = new Uint8Array(512).map((_, i) => (i * 7919) % 251);
    expect((await rejection(probeImage(junk))).kind).toBe("corrupt");
    expect((await rejection(probeImage(new Uint8Array()))).kind).toBe("empty");
  });

  test("an image over the pixel limit is too_large, checked from the header before decoding", async () => {
    const big = await solid(2000, 1500, "#fff"); // 3 megapixels
    const probe = await rejection(probeImage(big, { maxPixels: 1_000_000 }));
    expect(probe.kind).toBe("too_large");
    expect(probe.message).toContain("2000 x 1500");
    expect((await rejection(imagePageToPng(big, 0, { maxPixels: 1_000_000 }))).kind).toBe("too_large");
    // Within the limit it converts.
    expect((await imagePageToPng(big, 0, { maxPixels: 3_000_000 })).width).toBe(2000);
  });
});

describe("resizeForModel", () => {
  test("shrinks to the long side, never enlarges, and encodes JPEG on request", async () => {
    const png = await solid(1000, 500, "#abcdef");
    const small = await resizeForModel(png, { maxLongSide: 200, format: "jpeg" });
    expect(small).toMatchObject({ mime: "image/jpeg", width: 200, height: 100 });
    expect((await sharp(small.bytes).metadata()).format).toBe("jpeg");
    const same = await resizeForModel(png, { maxLongSide: 4000 });
    expect(same).toMatchObject({ mime: "image/png", width: 1000, height: 500 });
  });
});

describe("output buffers", () => {
  test("can be transferred to a worker (they are not sharp's native memory)", async () => {
    const out = await imagePageToPng(await solid(20, 20, "#fff"), 0);
    const resized = await resizeForModel(out.png, { maxLongSide: 10 });
    // structuredClone with a transfer list runs the same check as worker.postMessage(x, [x.buffer]).
    for (const bytes of [out.png, resized.bytes]) {
      const moved = structuredClone(bytes, { transfer: [bytes.buffer as ArrayBuffer] });
      expect(moved.length).toBeGreaterThan(0);
      expect(bytes.length).toBe(0); // detached: it really was transferred
    }
  });
});
