/** One process alone: it always leads. */
import type { Leadership } from "../ports/leadership";

export class LocalLeadership implements Leadership {
  runIfLeader<T>(pass: () => Promise<T>): Promise<T | null> {
    return pass();
  }

  async close(): Promise<void> {}
}
