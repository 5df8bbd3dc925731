/** The first admin: from LEAPOCR_ADMIN_EMAIL + LEAPOCR_ADMIN_PASSWORD at start, or `leapocr admin create`. */
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import { ConfigError } from "../../config";
import { ApiError } from "../../lib/errors";
import type { Actor } from "../audit/service";
import { defaultTeam } from "./service";
import { checkEmail, checkPassword, countUsers, createUserInTeam, findUserByEmail, hashPasswordSync, type UserRow } from "./users";

/** Creates an owner of the default team (or of `teamId`). Throws ConfigError with a readable message. */
export function createOwner(db: Db, input: { email: string; password: string; name?: string; teamId?: string }, actor: Actor, now: number): UserRow {
  try {
    const email = checkEmail(input.email);
    checkPassword(input.password);
    if (findUserByEmail(db, email)) throw new ConfigError(`A user with the email ${email} already exists.`);
    const teamId = input.teamId ?? defaultTeam(db)?.id;
    if (!teamId) throw new ConfigError("No team exists yet: start the server once first.");
    return createUserInTeam(db, { email, name: input.name ?? email.split("@")[0]!, passwordHash: hashPasswordSync(input.password), teamId, role: "owner" }, actor, now);
  } catch (err) {
    if (err instanceof ApiError) throw new ConfigError(err.message);
    throw err;
  }
}

/** Unattended install: creates the first owner when both settings are given and no user exists yet. */
export function bootstrapAdmin(db: Db, config: Pick<Config, "adminEmail" | "adminPassword">, now: number): UserRow | null {
  if (!config.adminEmail && !config.adminPassword) return null;
  if (!config.adminEmail || !config.adminPassword) throw new ConfigError("Set both LEAPOCR_ADMIN_EMAIL and LEAPOCR_ADMIN_PASSWORD to create the first admin.");
  if (countUsers(db) > 0) return null;
  return createOwner(db, { email: config.adminEmail, password: config.adminPassword }, { type: "system", id: "bootstrap" }, now);
}
