/**
 * The data directory holds documents, results and secrets: what the server creates there is
 * its own alone, directories 0700 and files 0600 (issue 15, finding 16). SQLite gives the WAL and
 * shared-memory files the database file's mode, so the database file is made 0600 before SQLite
 * opens it. An existing installation is tightened at start.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Takes group and other permissions off `path`; answers whether it had any. Refusals (another owner) are left as they are. */
function tighten(path: string, mode: number): boolean {
  try {
    if ((statSync(path).mode & 0o077) === 0) return false;
    chmodSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** Creates the directory (and missing parents) 0700, or takes others' access off an existing one. */
export function ensurePrivateDir(path: string): boolean {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  return tighten(path, PRIVATE_DIR_MODE);
}

/** Creates the database file 0600 when missing, so its WAL and shm files are 0600 too; tightens existing ones. Answers the files it changed. */
export function ensurePrivateDatabase(dbPath: string): string[] {
  if (!existsSync(dbPath)) closeSync(openSync(dbPath, "a", PRIVATE_FILE_MODE));
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((p) => existsSync(p) && tighten(p, PRIVATE_FILE_MODE));
}
