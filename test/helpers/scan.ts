/**
 * Looks for strings in the raw bytes of every file under a directory (the database, its WAL and
 * shared memory, stored files, unfinished uploads): what a person with the disk could read.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every (file, needle) pair where the file's bytes contain the needle (UTF-8 or UTF-16LE). */
export function findInFiles(dir: string, needles: string[]): string[] {
  const hits: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const needle of needles) {
      if (bytes.includes(Buffer.from(needle, "utf8")) || bytes.includes(Buffer.from(needle, "utf16le"))) hits.push(`${relative(dir, file)}: ${needle}`);
    }
  }
  return hits;
}
