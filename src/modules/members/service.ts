/** Members of a team: list, change role, remove. People join through invitations (invitations.ts). */
import { and, asc, eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { memberships, users } from "../../db/schema";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { recordAudit, type Actor } from "../audit/service";
import { canAssignRole, canRemoveMember, isRole, leavesNoOwner, type Role } from "../auth/permissions";
import { revokeKeysOfCreator } from "../auth/service";

const iso = (ms: number) => new Date(ms).toISOString();

function memberJson(r: { userId: string; email: string; name: string; role: string; createdAt: number }) {
  return { user_id: r.userId, email: r.email, name: r.name, role: (isRole(r.role) ? r.role : "viewer") as Role, created_at: iso(r.createdAt) };
}

const memberQuery = (ctx: AppContext) =>
  ctx.db
    .select({ userId: memberships.userId, email: users.email, name: users.name, role: memberships.role, createdAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId));

export function listMembers(ctx: AppContext, teamId: string) {
  return { data: memberQuery(ctx).where(eq(memberships.teamId, teamId)).orderBy(asc(memberships.createdAt), asc(users.email)).all().map(memberJson) };
}

function getMember(ctx: AppContext, teamId: string, userId: string) {
  const row = memberQuery(ctx).where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId))).get();
  if (!row) throw notFound("Member not found.");
  return row;
}

const ownerCount = (ctx: Pick<AppContext, "db">, teamId: string) =>
  ctx.db.select({ n: sql<number>`count(*)` }).from(memberships).where(and(eq(memberships.teamId, teamId), eq(memberships.role, "owner"))).get()?.n ?? 0;

export function changeRole(ctx: AppContext, teamId: string, actorRole: Role, userId: string, role: Role, actor: Actor) {
  const current = getMember(ctx, teamId, userId);
  const from = isRole(current.role) ? current.role : "viewer";
  if (!canAssignRole(actorRole, role, from)) throw forbidden(`Your role (${actorRole}) may not change a ${from} into a ${role}.`);
  const now = ctx.clock();
  ctx.db.transaction((tx) => {
    if (leavesNoOwner(from, role, ownerCount({ db: tx as unknown as AppContext["db"] }, teamId))) throw conflict("A team keeps at least one owner: make someone else owner first.");
    tx.update(memberships).set({ role }).where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId))).run();
    recordAudit(tx, { teamId, actor, action: "member.role_changed", targetType: "user", targetId: userId, metadata: { from, to: role } }, now);
  });
  return memberJson(getMember(ctx, teamId, userId));
}

export function removeMember(ctx: AppContext, teamId: string, actorRole: Role, userId: string, actor: Actor) {
  const current = getMember(ctx, teamId, userId);
  const role = isRole(current.role) ? current.role : "viewer";
  if (!canRemoveMember(actorRole, role)) throw forbidden(`Your role (${actorRole}) may not remove a ${role}.`);
  const now = ctx.clock();
  ctx.db.transaction((tx) => {
    if (leavesNoOwner(role, null, ownerCount({ db: tx as unknown as AppContext["db"] }, teamId))) throw conflict("A team keeps at least one owner: make someone else owner first.");
    tx.delete(memberships).where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId))).run();
    // Their keys would be refused anyway (a key needs its creator's membership); revoking them makes it final and visible.
    const keys = revokeKeysOfCreator(tx, teamId, userId, actor, "member_removed", now);
    recordAudit(tx, { teamId, actor, action: "member.removed", targetType: "user", targetId: userId, metadata: { role, keys_revoked: keys } }, now);
  });
  return { user_id: userId, removed: true as const };
}
