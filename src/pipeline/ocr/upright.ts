/**
 * Turning a scanned page upright before OCR, without a second recognition pass:
 * - skew: a projection profile on a shrunk, binarised copy of the page. Text lines tilted by
 *   the right angle pile their ink into a few rows, so the sum of squared differences between
 *   neighbouring rows peaks there. Measured for lines running across (0/180 degrees) and down
 *   (90/270) the page; the stronger peak also says which way the lines run.
 * - quarter turns: Tesseract's orientation detection (OSD, legacy classifier with osd.traineddata)
 *   on a band of the page dense in text, picked here (tesseract-worker.ts runs it). Skipped for
 *   Latin text whose lines have clearly more ink above their x-height than below (`ascent`):
 *   such a page is upright, and most pages are.
 * - boxes read on the upright page are mapped back to the page as uploaded.
 * Pure functions on grey pixels: no Tesseract, no sharp.
 */
import type { Box } from "./types.ts";

export interface GreyImage {
  /** 8-bit grey, one byte per pixel, rows top to bottom. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface SkewEstimate {
  /** Degrees the text lines are turned clockwise from their axis (-MAX_SKEW..MAX_SKEW); 0 when unsure. */
  angle: number;
  /** The lines run down the page (it lies on its side) rather than across it. */
  vertical: boolean;
  /** Peak of the profile score over its mean across the sweep (1 = flat, no lines found). */
  strength: number;
  /** A band of the page (full-size pixels) holding the most text, for orientation detection; null on a blank page. */
  textBand: Box | null;
  /**
   * Lines across the page, and of their ink more above their x-height band (ascenders, capitals)
   * than below it (descenders), by this much: (above - below) / (above + below), -1..1. Latin
   * text upright is clearly positive, upside down clearly negative; 0 when not measured.
   */
  ascent: number;
}

/** Skew searched, in degrees each way. */
export const MAX_SKEW = 16;
/** Below this many degrees, Tesseract's own line finder copes: the page is not rotated (saves a resample). */
export const MIN_SKEW = 0.3;
/** The profile is measured on a copy whose longer side is at most this many pixels. */
const ANALYSIS_SIDE = 1000;
/** A profile peak weaker than this (peak score / mean score) is no evidence of text lines. */
const MIN_STRENGTH = 1.3;

/** Block-averaged copy with the longer side at most ANALYSIS_SIDE; returns it and its scale factor. */
function shrink(img: GreyImage): { small: GreyImage; factor: number } {
  const factor = Math.max(1, Math.ceil(Math.max(img.width, img.height) / ANALYSIS_SIDE));
  if (factor === 1) return { small: img, factor };
  const w = Math.floor(img.width / factor);
  const h = Math.floor(img.height / factor);
  const out = new Uint8Array(w * h);
  const sums = new Uint32Array(w);
  const n = factor * factor;
  for (let y = 0; y < h; y++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const row = (y * factor + dy) * img.width;
      for (let x = 0, sx = row; x < w; x++) {
        let s = 0;
        for (let dx = 0; dx < factor; dx++) s += img.data[sx++]!;
        sums[x]! += s;
      }
    }
    for (let x = 0; x < w; x++) out[y * w + x] = Math.round(sums[x]! / n);
  }
  return { small: { data: out, width: w, height: h }, factor };
}

/** Otsu's threshold of a grey image, and how well it separates ink from paper (0..1). */
function otsu(img: GreyImage): { threshold: number; separation: number } {
  const hist = new Float64Array(256);
  for (const v of img.data) hist[v]!++;
  const total = img.data.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
  let wB = 0, sumB = 0, best = 0, threshold = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  const mean = sumAll / total;
  let variance = 0;
  for (let i = 0; i < 256; i++) variance += hist[i]! * (i - mean) * (i - mean);
  return { threshold, separation: variance > 0 ? best / total / variance : 0 };
}

/**
 * Score of one angle: rows of ink after shearing by tan(angle), sum of squared differences of
 * neighbouring rows. `xs`/`ys` are ink pixels in a frame where the lines run across.
 */
function profileScore(xs: Int32Array, ys: Int32Array, n: number, width: number, height: number, degrees: number, bins: Int32Array): number {
  const t = Math.tan((degrees * Math.PI) / 180);
  const offset = Math.ceil(width * Math.tan((MAX_SKEW * Math.PI) / 180)) + 1;
  const size = height + 2 * offset;
  bins.fill(0, 0, size);
  for (let i = 0; i < n; i++) bins[(ys[i]! - xs[i]! * t + offset) | 0]!++;
  let score = 0;
  for (let i = 1; i < size; i++) {
    const d = bins[i]! - bins[i - 1]!;
    score += d * d;
  }
  return score;
}

interface Sweep {
  angle: number;
  score: number;
  mean: number;
}

/** Whole degrees across the search range: the coarse peak and the mean score. */
function coarseSweep(xs: Int32Array, ys: Int32Array, n: number, width: number, height: number, bins: Int32Array): Sweep {
  let best = { angle: 0, score: -1 };
  let sum = 0, count = 0;
  for (let a = -MAX_SKEW; a <= MAX_SKEW; a += 1) {
    const s = profileScore(xs, ys, n, width, height, a, bins);
    sum += s;
    count++;
    if (s > best.score) best = { angle: a, score: s };
  }
  return { ...best, mean: sum / count };
}

/** Tenths of a degree around a coarse peak. */
function refine(coarse: Sweep, xs: Int32Array, ys: Int32Array, n: number, width: number, height: number, bins: Int32Array): Sweep {
  let best = { angle: coarse.angle, score: coarse.score };
  for (let step = -9; step <= 9; step++) {
    const a = coarse.angle + step / 10;
    if (step === 0 || Math.abs(a) > MAX_SKEW) continue;
    const s = profileScore(xs, ys, n, width, height, a, bins);
    if (s > best.score) best = { angle: Math.round(a * 10) / 10, score: s };
  }
  return { ...best, mean: coarse.mean };
}

/**
 * Measures how far the page's text lines are turned from the nearest axis, which axis that is,
 * and where the text is densest. Works on any size: a copy at most 1000 px on its longer side is
 * measured.
 */
export function estimateSkew(img: GreyImage): SkewEstimate {
  const none: SkewEstimate = { angle: 0, vertical: false, strength: 1, textBand: null, ascent: 0 };
  if (img.width < 16 || img.height < 16 || img.data.length < img.width * img.height) return none;
  const { small, factor } = shrink(img);
  const { threshold, separation } = otsu(small);
  // A flat page (blank, or one even tone) has no ink to measure.
  if (separation < 0.5) return none;
  const w = small.width, h = small.height;
  let n = 0;
  for (const v of small.data) if (v <= threshold) n++;
  // Mostly "ink": a photo or a dark scan, not printed text.
  if (n === 0 || n > small.data.length * 0.4) return none;
  const xs = new Int32Array(n), ys = new Int32Array(n);
  // The same pixels in the page turned a quarter clockwise: (x, y) -> (h - 1 - y, x).
  const vx = new Int32Array(n), vy = new Int32Array(n);
  const rowRuns = new Float64Array(h), colRuns = new Float64Array(w);
  for (let y = 0, i = 0, k = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const ink = small.data[i]! <= threshold;
      if (ink) {
        xs[k] = x;
        ys[k] = y;
        vx[k] = h - 1 - y;
        vy[k] = x;
        k++;
      }
      // Ink/paper changes: many along a line of text, few across a photo or a rule.
      if (x > 0 && ink !== small.data[i - 1]! <= threshold) rowRuns[y]!++;
      if (y > 0 && ink !== small.data[i - w]! <= threshold) colRuns[x]!++;
    }
  }
  const binsFor = (width: number, height: number) => new Int32Array(height + 2 * (Math.ceil(width * Math.tan((MAX_SKEW * Math.PI) / 180)) + 1) + 2);
  const binsAcross = binsFor(w, h), binsDown = binsFor(h, w);
  const across = coarseSweep(xs, ys, n, w, h, binsAcross);
  const down = coarseSweep(vx, vy, n, h, w, binsDown);
  const vertical = down.score > across.score * 1.1;
  const best = vertical ? refine(down, vx, vy, n, h, w, binsDown) : refine(across, xs, ys, n, w, h, binsAcross);
  const strength = best.mean > 0 ? best.score / best.mean : 1;
  const angle = strength >= MIN_STRENGTH ? best.angle : 0;
  const textBand = densestBand(vertical ? colRuns : rowRuns, vertical, factor, img);
  const ascent = vertical || strength < MIN_STRENGTH ? 0 : lineAscent(img, threshold, angle, Math.max(1, Math.floor(factor / 2)));
  return { angle, vertical, strength, textBand, ascent };
}

/**
 * SkewEstimate.ascent, on the full-size page (every `step`-th pixel): the ink of each row along the lines' angle, cut
 * into lines at the gaps; in each line the rows at least 40% as dark as its darkest are its
 * x-height band, and the ink above and below that band is summed over the page.
 */
function lineAscent(img: GreyImage, threshold: number, degrees: number, step: number): number {
  const t = Math.tan((degrees * Math.PI) / 180);
  const offset = Math.ceil(img.width * Math.abs(t)) + 1;
  const rows = new Float64Array(Math.ceil((img.height + 2 * offset + 1) / step) + 1);
  // Every `step`-th pixel each way: a 300 DPI page still has ~6 rows of ascenders per line.
  for (let y = 0; y < img.height; y += step) {
    for (let x = 0, i = y * img.width; x < img.width; x += step, i += step) if (img.data[i]! <= threshold) rows[((y - x * t + offset) / step) | 0]!++;
  }
  const peak = rows.reduce((m, v) => Math.max(m, v), 0);
  if (peak === 0) return 0;
  let above = 0, below = 0;
  for (let i = 0; i < rows.length; ) {
    // A line: rows with some ink (more than 2% of the darkest row), between gaps.
    if (rows[i]! <= peak * 0.02) {
      i++;
      continue;
    }
    let j = i;
    let top = 0;
    while (j < rows.length && rows[j]! > peak * 0.02) top = Math.max(top, rows[j++]!);
    let c0 = i;
    while (rows[c0]! < top * 0.4) c0++;
    let c1 = j - 1;
    while (rows[c1]! < top * 0.4) c1--;
    for (let k = i; k < c0; k++) above += rows[k]!;
    for (let k = c1 + 1; k < j; k++) below += rows[k]!;
    i = j;
  }
  return above + below > 0 ? (above - below) / (above + below) : 0;
}

/**
 * The band (a quarter of the page across the lines, all of it along them) with the most
 * ink/paper changes, in full-size pixels; null if the page has almost none.
 */
function densestBand(runs: Float64Array, vertical: boolean, factor: number, img: GreyImage): Box | null {
  const len = runs.length;
  const span = Math.max(1, Math.round(len / 4));
  let sum = 0;
  for (let i = 0; i < span; i++) sum += runs[i]!;
  let bestSum = sum, bestStart = 0;
  for (let i = span; i < len; i++) {
    sum += runs[i]! - runs[i - span]!;
    if (sum > bestSum) {
      bestSum = sum;
      bestStart = i - span + 1;
    }
  }
  if (bestSum < 50) return null;
  const start = bestStart * factor;
  const size = Math.min(span * factor, (vertical ? img.width : img.height) - start);
  return vertical ? { x: start, y: 0, width: size, height: img.height } : { x: 0, y: start, width: img.width, height: size };
}

/**
 * Languages written in the Latin alphabet, whose lines carry clearly more ink above their
 * x-height band than below it (SkewEstimate.ascent): for them a page that measures so is upright
 * and orientation detection is skipped.
 */
const LATIN = new Set("afr cat ces dan deu eng enm est eus fin fra frm glg hrv hun ind isl ita lat lav lit mlt nld nor pol por ron slk slv spa sqi swe tur vie".split(" "));
/**
 * Ascent from which a Latin page is taken as upright. The measure is antisymmetric (a page turned
 * 180 degrees measures minus what it measured upright), so its sign tells up from down and this
 * margin is only against error. Measured at 200-300 DPI on the bench scans and the 23 olmOCR
 * sample pages (2026-12-03): upright 0.07 to 0.96 (below 0.3: 0.07, 0.14, 0.21, 0.22, 0.26), the
 * same pages upside down -0.96 to -0.07. At 0.15 an upside-down page would have to measure 0.22
 * above the worst seen to be taken as upright, and three of the five low pages (eurotext among
 * them, where OSD was a third of the reading) no longer pay OSD.
 */
export const UPRIGHT_ASCENT = 0.15;

/** False when the page is known upright without Tesseract's orientation detection. */
export function needsOrientation(skew: Pick<SkewEstimate, "vertical" | "ascent">, lang: string): boolean {
  const latin = lang.split("+").every((l) => LATIN.has(l));
  return !(latin && !skew.vertical && skew.ascent >= UPRIGHT_ASCENT);
}

/** Binary PGM (P5) of a region of a grey image: Leptonica reads it without any decoding cost. */
export function pgm(img: GreyImage, region: Box): Uint8Array {
  const x0 = Math.max(0, Math.floor(region.x)), y0 = Math.max(0, Math.floor(region.y));
  const x1 = Math.min(img.width, Math.ceil(region.x + region.width)), y1 = Math.min(img.height, Math.ceil(region.y + region.height));
  const w = Math.max(0, x1 - x0), h = Math.max(0, y1 - y0);
  const header = new TextEncoder().encode(`P5\n${w} ${h}\n255\n`);
  const out = new Uint8Array(header.length + w * h);
  out.set(header, 0);
  for (let y = 0; y < h; y++) out.set(img.data.subarray((y0 + y) * img.width + x0, (y0 + y) * img.width + x1), header.length + y * w);
  return out;
}

/** How a page was turned before it was read: a quarter-turn count and then a small angle, both clockwise. */
export interface Uprighting {
  /** 0, 90, 180 or 270: degrees clockwise the page was turned. */
  rotation: number;
  /** Degrees clockwise it was turned after that (minus the measured skew). */
  deskew: number;
}

/** Size of the page after the quarter turn (the deskew keeps the size). */
export function turnedSize(width: number, height: number, rotation: number): { width: number; height: number } {
  return rotation === 90 || rotation === 270 ? { width: height, height: width } : { width, height };
}

/**
 * Maps a box read on the turned page back to the page as uploaded (width x height): the turn is
 * a rotation about the page's centre, so each corner goes back through the inverse rotation and
 * the result is the smallest upright box around them, clipped to the page.
 */
export function boxToUploaded(box: Box, turn: Uprighting, width: number, height: number): Box {
  if (turn.rotation === 0 && turn.deskew === 0) return box;
  const t = turnedSize(width, height, turn.rotation);
  const a = (-(turn.rotation + turn.deskew) * Math.PI) / 180;
  const cos = Math.cos(a), sin = Math.sin(a);
  const cx = width / 2, cy = height / 2, tcx = t.width / 2, tcy = t.height / 2;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [px, py] of [
    [box.x, box.y],
    [box.x + box.width, box.y],
    [box.x, box.y + box.height],
    [box.x + box.width, box.y + box.height],
  ] as const) {
    const dx = px - tcx, dy = py - tcy;
    // Clockwise by `a` in image coordinates (y down).
    const x = cx + dx * cos - dy * sin;
    const y = cy + dx * sin + dy * cos;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  x0 = Math.max(0, Math.round(x0));
  y0 = Math.max(0, Math.round(y0));
  x1 = Math.min(width, Math.round(x1));
  y1 = Math.min(height, Math.round(y1));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
