/**
 * `leapocr admin create` and `leapocr keys create`: the same binary, run beside (or before) the
 * server, writing to the same database. Secrets are printed once on stdout and never stored.
 */
import { mkdirSync } from "node:fs";
import { ConfigError, loadConfig, sqliteDatabaseFile } from "../../config";
import { openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";
import { recordAudit } from "../audit/service";
import { createOwner } from "./bootstrap";
import { isValidScope } from "./permissions";
import { bootstrapTenancy, createApiKey, getTeam } from "./service";

const OWN_FLAGS: Record<string, string[]> = {
  "admin create": ["email", "password", "name", "team"],
  "keys create": ["name", "scopes", "expires-days", "team"],
};

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const text = await new Response(Bun.stdin.stream()).text();
  return text.split(/\r?\n/)[0] ?? "";
}

export async function runCli(command: string, args: string[], flags: Record<string, string>, env: Record<string, string | undefined> = process.env): Promise<void> {
  const sub = `${command} ${args[0] ?? ""}`.trim();
  const own = OWN_FLAGS[sub];
  if (!own) throw new ConfigError(`Unknown command "${sub}". Use "leapocr admin create" or "leapocr keys create" (see --help).`);
  const mine: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(flags)) (own.includes(k) ? mine : rest)[k] = v;
  const config = loadConfig(rest, env);
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(sqliteDatabaseFile(config));
  try {
    migrate(db);
    const now = Date.now();
    const first = bootstrapTenancy(db, config.bootstrapApiKey, now);
    if (first.printedKey) console.log(`First API key for the default team (shown once, store it now):\n  ${first.printedKey}\n`);
    const actor = { type: "system" as const, id: "cli" };
    const teamId = mine.team ?? first.teamId;
    if (!getTeam(db, teamId)) throw new ConfigError(`No team ${teamId}.`);
    if (sub === "admin create") {
      if (!mine.email) throw new ConfigError("admin create needs --email.");
      const password = mine.password ?? env.LEAPOCR_ADMIN_PASSWORD ?? (await readStdin());
      if (!password) throw new ConfigError("Give the password with --password, LEAPOCR_ADMIN_PASSWORD or on stdin.");
      const user = createOwner(db, { email: mine.email, password, name: mine.name, teamId }, actor, now);
      console.log(`Created ${user.email} (${user.id}), owner of team ${teamId}. Log in at /api/v1/auth/login.`);
      return;
    }
    // keys create
    if (!mine.name || mine.name === "true") throw new ConfigError("keys create needs --name.");
    const scopes = (mine.scopes ?? "*").split(",").map((s) => s.trim()).filter(Boolean);
    const bad = scopes.filter((s) => !isValidScope(s));
    if (bad.length > 0 || scopes.length === 0) throw new ConfigError(`Unknown scope(s): ${bad.join(", ") || "(none)"}.`);
    let expiresAt: number | null = null;
    if (mine["expires-days"] !== undefined) {
      const days = Number(mine["expires-days"]);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ConfigError("--expires-days must be a whole number from 1 to 3650.");
      expiresAt = now + days * 86_400_000;
    }
    const key = db.transaction((tx) => {
      const k = createApiKey(tx, teamId, mine.name!, undefined, now, { scopes: scopes.join(","), expiresAt });
      recordAudit(tx, { teamId, actor, action: "api_key.created", targetType: "api_key", targetId: k.id, metadata: { name: mine.name!, prefix: k.prefix, scopes: scopes.join(","), expires_at: expiresAt } }, now);
      return k;
    });
    // The secret alone on stdout (scripts capture it); the rest on stderr.
    console.error(`API key ${key.id} "${mine.name}" for team ${teamId}, scopes ${scopes.join(",")}${expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ""}. Shown once:`);
    console.log(key.secret);
  } finally {
    db.$client.close();
  }
}
