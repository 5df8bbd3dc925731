import { describe, expect, test } from "bun:test";
import { encodePng } from "../../src/pipeline/pdf/png";
import { loadSharp } from "../../src/lib/sharp";

/** Decodes a PNG with sharp (libpng): what a model provider or a viewer would see. */
async function decode(png: Uint8Array) {
  const sharp = await loadSharp();
  const meta = await sharp(png).metadata(); // channels as stored in the file
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), stored: meta.channels, channels: info.channels, width: info.width, height: info.height };
}

function page(width: number, height: number, colour: (x: number, y: number) => [number, number, number]): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      rgba.set([r, g, b, 255], (y * width + x) * 4);
    }
  return rgba;
}

describe("PNG encoder", () => {
  test("a grey page is written as 8-bit grey and decodes to the same pixels", async () => {
    const grey = (x: number, y: number): [number, number, number] => {
      const v = (x * 7 + y * 13) % 3 === 0 ? 0 : x % 5 === 0 ? 128 : 255;
      return [v, v, v];
    };
    const out = await decode(encodePng(page(37, 23, grey), 37, 23));
    expect([out.width, out.height, out.stored]).toEqual([37, 23, 1]);
    for (let y = 0; y < 23; y++) for (let x = 0; x < 37; x++) expect(out.data[(y * 37 + x) * out.channels]).toBe(grey(x, y)[0]);
  });

  test("one coloured pixel, even the last, makes it an RGB image with every pixel kept", async () => {
    const colour = (x: number, y: number): [number, number, number] => (x === 30 && y === 19 ? [200, 10, 40] : [x * 6, x * 6, x * 6]);
    const out = await decode(encodePng(page(31, 20, colour), 31, 20));
    expect([out.width, out.height, out.stored, out.channels]).toEqual([31, 20, 3, 3]);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 31; x++) expect(Array.from(out.data.subarray((y * 31 + x) * 3, (y * 31 + x) * 3 + 3))).toEqual(colour(x, y));
  });
});
