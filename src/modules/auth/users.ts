/** Users and their team memberships. Passwords are hashed with argon2id (Bun.password); never stored or logged. */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { prepared } from "../../db/prepared";
import { memberships, organizations, teams, users } from "../../db/schema";
import { badRequest, conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { recordAudit, type Actor } from "../audit/service";
import { isRole, type Role } from "./permissions";
import type { Tx } from "./service";

export const MIN_PASSWORD_LENGTH = 12;
const HASH_OPTIONS = { algorithm: "argon2id" } as const;

export type UserRow = typeof users.$inferSelect;

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badRequest(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  if (password.length > 1024) throw badRequest("The password must be at most 1024 characters long.");
}

export function checkEmail(email: string): string {
  const e = normalizeEmail(email);
  if (!/^[^\s@]+@[^\s@]+$/.test(e) || e.length > 320) throw badRequest("The email address is not valid.");
  return e;
}

export const hashPassword = (password: string): Promise<string> => Bun.password.hash(password, HASH_OPTIONS);
export const hashPasswordSync = (password: string): string => Bun.password.hashSync(password, HASH_OPTIONS);

/** A hash of a random password, verified against when the email is unknown so both paths take as long. */
let dummyHash: string | undefined;
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash) {
    dummyHash ??= await hashPassword(crypto.randomUUID());
    await Bun.password.verify(password, dummyHash).catch(() => false);
    return false;
  }
  return Bun.password.verify(password, hash).catch(() => false);
}

export function findUserByEmail(db: Db, email: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.email, normalizeEmail(email))).get();
}

export function getUser(db: Db, userId: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.id, userId)).get();
}

export const countUsers = (db: Db): number => db.select({ n: sql<number>`count(*)` }).from(users).get()?.n ?? 0;

/** Inserts a user whose password is already hashed; the caller owns the transaction and the audit record. */
export function insertUser(db: Tx, input: { email: string; name: string; passwordHash: string }, now: number): UserRow {
  const row = { id: newId("usr"), email: normalizeEmail(input.email), name: input.name, passwordHash: input.passwordHash, createdAt: now, disabledAt: null };
  db.insert(users).values(row).run();
  return row;
}

export function roleIn(db: Pick<Db, "select">, teamId: string, userId: string): Role | null {
  const row = db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId))).get();
  return row && isRole(row.role) ? row.role : null;
}

/** The team with this id inside this organization (null otherwise). Every workspace request asks, so it is prepared once. */
export function teamInOrganization(db: Db, teamId: string, organizationId: string): { id: string; organizationId: string } | null {
  const query = prepared(db, "auth.teamInOrg", (d) =>
    d
      .select({ id: teams.id, organizationId: teams.organizationId })
      .from(teams)
      .where(and(eq(teams.id, sql.placeholder("teamId")), eq(teams.organizationId, sql.placeholder("orgId"))))
      .prepare(),
  );
  return query.get({ teamId, orgId: organizationId }) ?? null;
}

/** Whether the user belongs to any team of the organization. */
export function isMemberOfOrganization(db: Pick<Db, "select">, userId: string, organizationId: string): boolean {
  return !!db
    .select({ id: teams.id })
    .from(teams)
    .innerJoin(memberships, eq(memberships.teamId, teams.id))
    .where(and(eq(teams.organizationId, organizationId), eq(memberships.userId, userId)))
    .get();
}

export function addMembership(db: Tx, teamId: string, userId: string, role: Role, now: number): void {
  db.insert(memberships).values({ teamId, userId, role, createdAt: now }).run();
}

/** The teams a user belongs to, with their role in each. */
export function teamsOfUser(db: Db, userId: string) {
  return db
    .select({ teamId: teams.id, teamName: teams.name, organizationId: teams.organizationId, organizationName: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(teams.createdAt), asc(teams.id))
    .all();
}

/**
 * Creates a user and makes them a member of a team, with the audit records, in one transaction.
 * Used by the members route, the CLI and the unattended first admin.
 */
export function createUserInTeam(
  db: Db,
  input: { email: string; name: string; passwordHash: string; teamId: string; role: Role },
  actor: Actor,
  now: number,
): UserRow {
  return db.transaction((tx) => {
    if (tx.select({ id: users.id }).from(users).where(eq(users.email, normalizeEmail(input.email))).get()) {
      throw conflict("A user with this email already exists.");
    }
    const user = insertUser(tx, input, now);
    addMembership(tx, input.teamId, user.id, input.role, now);
    recordAudit(tx, { teamId: input.teamId, actor, action: "user.created", targetType: "user", targetId: user.id, metadata: { role: input.role } }, now);
    recordAudit(tx, { teamId: input.teamId, actor, action: "member.added", targetType: "user", targetId: user.id, metadata: { role: input.role } }, now);
    return user;
  });
}
