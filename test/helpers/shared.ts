/**
 * The shared folder beside the repository (../shared): the public LeapOCR reference documents
 * and the benchmark samples, data the tests read and never copy into the repository. CI has it
 * there; LEAPOCR_SHARED_DIR points elsewhere. In a clone without it the rest of the suite runs:
 * the tests that need it are skipped, and a warning says which file is missing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export const SHARED_DIR = process.env.LEAPOCR_SHARED_DIR ?? join(import.meta.dir, "../../../shared");

export const sharedPath = (...parts: string[]) => join(SHARED_DIR, ...parts);

/** True when the shared file or folder exists; otherwise warns that the tests needing it are skipped. */
export function hasShared(...parts: string[]): boolean {
  const path = sharedPath(...parts);
  if (existsSync(path)) return true;
  console.warn(`skipping the tests that need ${path}: it is missing (set LEAPOCR_SHARED_DIR to the shared folder)`);
  return false;
}
