/**
 * A timing decorator for any StoragePort: every call is observed in
 * leapocr_storage_operation_seconds{backend, op} and failures counted in
 * leapocr_storage_errors_total. app.ts chooses it when metrics are on.
 */
import type { StoragePort } from "../ports/storage";
import { timeMethods, type Counter, type Histogram } from "../lib/metrics";

export function withStorageMetrics(storage: StoragePort, seconds: Histogram, errors: Counter): StoragePort {
  return timeMethods(storage, seconds, { backend: storage.kind }, errors);
}
