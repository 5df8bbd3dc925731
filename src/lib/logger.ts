/**
 * Structured JSON log lines on stderr: time, level, msg, then fields. A line written while a
 * request is handled carries its request_id. Never log document content or secrets: log ids,
 * counts, sizes and error messages meant for users (test/e2e/logs.test.ts checks this).
 */
import { currentRequestId } from "./request-id";

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel = "info", write: (line: string) => void = (l) => process.stderr.write(l + "\n")): Logger {
  const log = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < order[level]) return;
    const requestId = currentRequestId();
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...(requestId ? { request_id: requestId } : {}), ...fields }));
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that adds `fields` to every line (explicit fields of a call win). */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  const wrap = (fn: Logger["info"]) => (msg: string, more?: Record<string, unknown>) => fn(msg, { ...fields, ...more });
  return { debug: wrap(logger.debug), info: wrap(logger.info), warn: wrap(logger.warn), error: wrap(logger.error) };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
