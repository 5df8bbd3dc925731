/**
 * `leapocr credits ...`: the operator's credit commands, run against the data directory's
 * database while the server runs or not (SQLite serialises the writers).
 *
 *   leapocr credits grant --team <id> --amount N [--description text] [--idempotency-key k]
 *   leapocr credits balance [--team <id>]
 *   leapocr credits limit --team <id> --limit N|none
 */
import { mkdirSync } from "node:fs";
import { ConfigError, loadConfig, sqliteDatabaseFile } from "../../config";
import { openDatabase } from "../../db/client";
import { sqliteDatabase } from "../../adapters/database-sqlite";
import { migrate } from "../../db/migrate";
import { ApiError } from "../../lib/errors";
import type { Actor } from "../audit/service";
import { creditLimit, grantCredits, ledgerOf, resolveTeam, setCreditLimit } from "./service";

const OWN_FLAGS = ["team", "amount", "description", "idempotency-key", "limit", "kind"];
const CLI_ACTOR: Actor = { type: "system", id: "cli" };

export const CREDITS_HELP = `Usage: leapocr credits grant --team <id> --amount N [--kind grant|adjustment] [--description text] [--idempotency-key key]
       leapocr credits balance [--team <id>]
       leapocr credits limit --team <id> --limit N|none
The data directory comes from --data-dir / LEAPOCR_DATA_DIR as for the server. --team may be left out when there is one team.`;

export async function runCreditsCli(command: string | undefined, flags: Record<string, string>, out: (line: string) => void = console.log): Promise<void> {
  const own: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(flags)) (OWN_FLAGS.includes(k) ? own : rest)[k] = v;
  const config = loadConfig(rest);
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(sqliteDatabaseFile(config));
  try {
    migrate(db);
    const data = sqliteDatabase(db);
    const ctx = { data, clock: Date.now };
    const teamId = await resolveTeam(data, own.team);
    if (command === "grant") {
      const amount = Number(own.amount);
      if (!Number.isInteger(amount) || amount === 0) throw new ConfigError("--amount must be a whole number other than 0.");
      const kind = own.kind === "adjustment" ? "adjustment" : "grant";
      const { transaction, created } = await grantCredits(ctx, teamId, { amount, kind, description: own.description ?? "Granted by the operator (CLI)", idempotency_key: own["idempotency-key"] }, CLI_ACTOR);
      const balance = (await ledgerOf(data, [teamId])).balance;
      out(created ? `${kind === "grant" ? "Granted" : "Adjusted"} ${amount} credit(s) to team ${teamId} (transaction ${transaction.id}). Balance: ${balance}.` : `Already recorded as transaction ${transaction.id} (same idempotency key); nothing granted. Balance: ${balance}.`);
    } else if (command === "balance") {
      const l = await ledgerOf(data, [teamId]);
      const limit = await creditLimit(data, teamId);
      out(`Team ${teamId}: granted ${l.granted}, consumed ${l.consumed}, refunded ${l.refunded}, adjusted ${l.adjusted}, balance ${l.balance}, limit ${limit === null ? "none (unlimited)" : `${limit} (remaining ${limit + l.balance})`}.`);
    } else if (command === "limit") {
      if (own.limit === undefined) throw new ConfigError("--limit N (0 or more) or --limit none is required.");
      const limit = own.limit === "none" ? null : Number(own.limit);
      if (limit !== null && (!Number.isInteger(limit) || limit < 0)) throw new ConfigError("--limit must be a whole number, 0 or more, or none.");
      const b = await setCreditLimit(ctx, teamId, limit, CLI_ACTOR);
      out(`Team ${teamId}: limit ${limit === null ? "none (unlimited)" : limit}; remaining ${b.credits_remaining}.`);
    } else {
      throw new ConfigError(`Unknown credits command "${command ?? ""}".\n${CREDITS_HELP}`);
    }
  } catch (err) {
    if (err instanceof ApiError) throw new ConfigError(err.message);
    throw err;
  } finally {
    db.$client.close();
  }
}
