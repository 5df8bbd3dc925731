/**
 * Data-subject requests (the privacy policy's rights of access and erasure): an owner or admin
 * exports everything the server holds about a member, or erases them. Both are audited.
 *
 * Who may: the caller must hold members:write, and be allowed to remove the person, in every
 * team the person belongs to; otherwise the request would hand one team's admin another team's
 * (or organization's) records, or let them wipe someone else's member. Those cases are for the
 * operator (docs/SECURITY.md, known limits).
 *
 * Erasure revokes every session and key of the person, ends their memberships and invitations,
 * and replaces their personal fields: the user row keeps no email, name or password; audit rows
 * keep what happened, with a random pseudonym in place of the person's id and no address, user
 * agent or email.
 */
import { and, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { apiKeys, auditLog, invitations, memberships, organizations, sessions, teams, templates, users, webhookSubscriptions } from "../../db/schema";
import { randomToken } from "../../lib/crypto";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { recordAudit, type Actor } from "../audit/service";
import { canRemoveMember, isRole, leavesNoOwner, roleCan } from "../auth/permissions";
import { revokeKeysOfCreator } from "../auth/service";
import { getUser, roleIn } from "../auth/users";
import { forgetDeleted } from "../../db/client";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function membershipsOf(ctx: AppContext, userId: string) {
  return ctx.db
    .select({ teamId: teams.id, teamName: teams.name, organizationId: organizations.id, organizationName: organizations.name, role: memberships.role, since: memberships.createdAt })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(memberships.userId, userId))
    .all();
}

/** The person, if the caller administers every team they are in (404 when not a member of this team). */
function subjectFor(ctx: AppContext, teamId: string, actorUserId: string, userId: string) {
  const user = getUser(ctx.db, userId);
  if (!user || !roleIn(ctx.db, teamId, userId)) throw notFound("Member not found.");
  const teamsOfSubject = membershipsOf(ctx, userId);
  const outside = teamsOfSubject.filter((m) => {
    const mine = roleIn(ctx.db, m.teamId, actorUserId);
    return !mine || !roleCan(mine, "members:write") || !canRemoveMember(mine, isRole(m.role) ? m.role : "viewer");
  });
  if (outside.length > 0) {
    throw forbidden(`This person also belongs to ${outside.length} team(s) you cannot manage them in (or is an owner you may not remove): ask an owner of those teams, or the server operator.`);
  }
  return { user, teamsOfSubject };
}

/** Everything the server holds about the person, as JSON. */
export function exportUser(ctx: AppContext, teamId: string, actorUserId: string, userId: string, actor: Actor) {
  const { user, teamsOfSubject } = subjectFor(ctx, teamId, actorUserId, userId);
  const teamIds = teamsOfSubject.map((m) => m.teamId);
  const now = ctx.clock();
  // Audit rows about them: their own (team-less) account events, and those of the teams they are in.
  const about = or(eq(auditLog.actorId, userId), eq(auditLog.targetId, userId));
  const audit = ctx.db
    .select()
    .from(auditLog)
    .where(and(about, teamIds.length ? or(isNull(auditLog.teamId), inArray(auditLog.teamId, teamIds)) : isNull(auditLog.teamId)))
    .orderBy(auditLog.createdAt)
    .all();
  const out = {
    generated_at: iso(now)!,
    user: { id: user.id, email: user.email, name: user.name, created_at: iso(user.createdAt)!, disabled_at: iso(user.disabledAt) },
    memberships: teamsOfSubject.map((m) => ({ team_id: m.teamId, team_name: m.teamName, organization_id: m.organizationId, organization_name: m.organizationName, role: m.role, since: iso(m.since)! })),
    sessions: ctx.db.select().from(sessions).where(eq(sessions.userId, userId)).all().map((s) => ({
      id: s.id, created_at: iso(s.createdAt)!, last_seen_at: iso(s.lastSeenAt)!, expires_at: iso(s.expiresAt)!, revoked_at: iso(s.revokedAt), ip: s.ip, user_agent: s.userAgent,
    })),
    api_keys: ctx.db.select().from(apiKeys).where(eq(apiKeys.createdByUserId, userId)).all().map((k) => ({
      id: k.id, team_id: k.teamId, name: k.name, prefix: k.prefix, scopes: k.scopes, created_at: iso(k.createdAt)!, last_used_at: iso(k.lastUsedAt), expires_at: iso(k.expiresAt), revoked_at: iso(k.revokedAt),
    })),
    invitations: ctx.db.select().from(invitations).where(eq(invitations.email, user.email)).all().map((i) => ({
      id: i.id, team_id: i.teamId, role: i.role, status: i.outcome ?? "pending", created_at: iso(i.createdAt)!, expires_at: iso(i.expiresAt)!,
    })),
    templates: ctx.db.select({ id: templates.id, teamId: templates.teamId, name: templates.name, createdAt: templates.createdAt }).from(templates).where(eq(templates.userId, userId)).all().map((t) => ({ id: t.id, team_id: t.teamId, name: t.name, created_at: iso(t.createdAt)! })),
    webhooks: ctx.db.select({ id: webhookSubscriptions.id, teamId: webhookSubscriptions.teamId, url: webhookSubscriptions.url, createdAt: webhookSubscriptions.createdAt }).from(webhookSubscriptions).where(eq(webhookSubscriptions.userId, userId)).all().map((w) => ({ id: w.id, team_id: w.teamId, url: w.url, created_at: iso(w.createdAt)! })),
    audit_log: audit.map((r) => ({
      id: r.id, team_id: r.teamId, action: r.action, actor: { type: r.actorType, id: r.actorId }, target: { type: r.targetType, id: r.targetId }, ip: r.ip, user_agent: r.userAgent,
      metadata: r.metadataJson ? (JSON.parse(r.metadataJson) as Record<string, unknown>) : null, created_at: iso(r.createdAt)!,
    })),
  };
  recordAudit(ctx.db, { teamId, actor, action: "user.exported", targetType: "user", targetId: userId, metadata: { audit_rows: audit.length, sessions: out.sessions.length } }, now);
  return out;
}

const ownerCount = (db: Pick<AppContext["db"], "select">, teamId: string) =>
  db.select({ n: sql<number>`count(*)` }).from(memberships).where(and(eq(memberships.teamId, teamId), eq(memberships.role, "owner"))).get()?.n ?? 0;

/** Erases the person: access ends everywhere, personal fields go, audit rows keep a pseudonym. */
export function eraseUser(ctx: AppContext, teamId: string, actorUserId: string, userId: string, actor: Actor) {
  const { user, teamsOfSubject } = subjectFor(ctx, teamId, actorUserId, userId);
  const now = ctx.clock();
  const pseudonym = `erased_${randomToken(12)}`;
  const erased = ctx.db.transaction((tx) => {
    for (const m of teamsOfSubject) {
      if (leavesNoOwner(isRole(m.role) ? m.role : "viewer", null, ownerCount(tx, m.teamId))) throw conflict(`${m.teamName} would be left without an owner: make someone else owner there first.`);
    }
    let keysRevoked = 0;
    for (const m of teamsOfSubject) keysRevoked += revokeKeysOfCreator(tx, m.teamId, userId, actor, "user_erased", now);
    // Keys in teams they already left were revoked when they left (or die with the membership check).
    tx.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.createdByUserId, userId), isNull(apiKeys.revokedAt))).run();
    const live = tx.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt))).all().length;
    tx.update(sessions).set({ revokedAt: sql`coalesce(${sessions.revokedAt}, ${now})`, ip: null, userAgent: null }).where(eq(sessions.userId, userId)).run();
    tx.delete(memberships).where(eq(memberships.userId, userId)).run();
    tx.delete(invitations).where(eq(invitations.email, user.email)).run();
    tx.update(users).set({ email: `${pseudonym}@erased.invalid`, name: "Erased user", passwordHash: "!erased", disabledAt: now }).where(eq(users.id, userId)).run();
    tx.update(templates).set({ userId: pseudonym }).where(eq(templates.userId, userId)).run();
    tx.update(webhookSubscriptions).set({ userId: pseudonym }).where(eq(webhookSubscriptions.userId, userId)).run();
    // Audit rows: what happened stays; who it was becomes the pseudonym, with no address, user agent or email.
    tx.update(auditLog).set({ actorId: pseudonym, ip: null, userAgent: null }).where(eq(auditLog.actorId, userId)).run();
    tx.update(auditLog).set({ targetId: pseudonym, ip: null, userAgent: null }).where(eq(auditLog.targetId, userId)).run();
    tx.update(auditLog).set({ metadataJson: sql`json_remove(${auditLog.metadataJson}, '$.email')` }).where(sql`json_valid(${auditLog.metadataJson}) and json_extract(${auditLog.metadataJson}, '$.email') = ${user.email}`).run();
    for (const m of teamsOfSubject) {
      recordAudit(tx, { teamId: m.teamId, actor, action: "member.removed", targetType: "user", targetId: pseudonym, metadata: { role: m.role, reason: "erased" } }, now);
    }
    const counts = { sessions_revoked: live, keys_revoked: keysRevoked, memberships_removed: teamsOfSubject.length };
    recordAudit(tx, { teamId, actor, action: "user.erased", targetType: "user", targetId: pseudonym, metadata: counts }, now);
    return { pseudonym, erased: true as const, ...counts };
  });
  // The old email and name are still in the WAL's copies of the pages: out with them, as for a purged job.
  if (!forgetDeleted(ctx.db.$client)) ctx.logger.warn("WAL checkpoint after an erasure could not finish (another connection is reading); the old values stay in the WAL until the next one");
  return erased;
}

