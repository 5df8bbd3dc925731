/**
 * Invitations: the only way into a team (issue 15, finding 3). An owner or admin invites an email
 * with a role and gets a one-time link to hand over; nobody joins until the invitee accepts:
 * - a new person opens the link and sets their own name and password (the admin never chooses it);
 * - someone who already has an account signs in and accepts (or declines) it in the dashboard,
 *   so no team can be pushed into another user's dashboard.
 * The link's token is shown once; only its SHA-256 is stored. An invitation ends when accepted,
 * declined, revoked, after INVITATION_DAYS, or when its inviter may no longer give that role.
 */
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { AppContext } from "../../context";
import { invitations, organizations, teams } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { badRequest, conflict, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { recordAudit, type Actor } from "../audit/service";
import { canAssignRole, isRole, roleCan, type Role } from "../auth/permissions";
import { addMembership, checkEmail, checkPassword, findUserByEmail, getUser, hashPassword, insertUser, normalizeEmail, roleIn } from "../auth/users";

export const INVITATION_DAYS = 7;
const TOKEN_PREFIX = "loi_";

type InvitationRow = typeof invitations.$inferSelect;
const iso = (ms: number) => new Date(ms).toISOString();

export function invitationJson(r: InvitationRow) {
  return {
    id: r.id, team_id: r.teamId, email: r.email, role: (isRole(r.role) ? r.role : "viewer") as Role, invited_by_user_id: r.invitedByUserId,
    created_at: iso(r.createdAt), expires_at: iso(r.expiresAt), status: (r.outcome ?? "pending") as "pending" | "accepted" | "declined" | "revoked",
  };
}

const pending = (now: number) => and(isNull(invitations.closedAt), gt(invitations.expiresAt, now));

/** Invites `email` into the team with `role`. Answers the invitation and its one-time link (the only time the token is shown). */
export function inviteMember(ctx: AppContext, teamId: string, inviter: { userId: string; role: Role }, input: { email: string; role: Role }, actor: Actor, baseUrl: string) {
  if (!canAssignRole(inviter.role, input.role)) throw forbidden(`Your role (${inviter.role}) may not give the ${input.role} role.`);
  const email = checkEmail(input.email);
  const now = ctx.clock();
  const token = `${TOKEN_PREFIX}${randomToken(32)}`;
  const row: InvitationRow = {
    id: newId("inv"), teamId, email, role: input.role, tokenHash: sha256Hex(token), invitedByUserId: inviter.userId,
    createdAt: now, expiresAt: now + INVITATION_DAYS * 86_400_000, closedAt: null, outcome: null, acceptedUserId: null,
  };
  ctx.db.transaction((tx) => {
    const existing = findUserByEmail(tx as unknown as AppContext["db"], email);
    if (existing && roleIn(tx, teamId, existing.id)) throw conflict("This person is already a member of the team.");
    // A new invitation replaces an open one to the same address: one live link per person and team.
    const open = tx.select().from(invitations).where(and(eq(invitations.teamId, teamId), eq(invitations.email, email), pending(now))).all();
    for (const o of open) {
      tx.update(invitations).set({ closedAt: now, outcome: "revoked" }).where(eq(invitations.id, o.id)).run();
      recordAudit(tx, { teamId, actor, action: "invitation.revoked", targetType: "invitation", targetId: o.id, metadata: { reason: "replaced" } }, now);
    }
    tx.insert(invitations).values(row).run();
    // The address is personal data the team chose to record; the token never is.
    recordAudit(tx, { teamId, actor, action: "invitation.created", targetType: "invitation", targetId: row.id, metadata: { role: input.role, email } }, now);
  });
  return { ...invitationJson(row), invite_url: `${baseUrl}/#/invite/${token}`, token };
}

export function listInvitations(ctx: AppContext, teamId: string) {
  const rows = ctx.db.select().from(invitations).where(and(eq(invitations.teamId, teamId), pending(ctx.clock()))).orderBy(asc(invitations.createdAt)).all();
  return { data: rows.map(invitationJson) };
}

export function revokeInvitation(ctx: AppContext, teamId: string, id: string, actor: Actor) {
  const now = ctx.clock();
  return ctx.db.transaction((tx) => {
    const row = tx.select().from(invitations).where(and(eq(invitations.id, id), eq(invitations.teamId, teamId), pending(now))).get();
    if (!row) throw notFound("Invitation not found (or no longer open).");
    tx.update(invitations).set({ closedAt: now, outcome: "revoked" }).where(eq(invitations.id, id)).run();
    recordAudit(tx, { teamId, actor, action: "invitation.revoked", targetType: "invitation", targetId: id }, now);
    return invitationJson({ ...row, closedAt: now, outcome: "revoked" });
  });
}

/** The open invitation behind a token, with its team's names, or 404 (unknown, used, revoked, expired: never which). */
function byToken(ctx: AppContext, token: string) {
  const row = ctx.db.select().from(invitations).where(and(eq(invitations.tokenHash, sha256Hex(token)), pending(ctx.clock()))).get();
  if (!row) throw notFound("This invitation link is not valid: it was used, revoked or has expired. Ask for a new one.");
  return row;
}

function teamNames(ctx: AppContext, teamId: string) {
  return ctx.db
    .select({ team: teams.name, organization: organizations.name, organizationId: organizations.id })
    .from(teams)
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(teams.id, teamId))
    .get()!;
}

/** What the invitee sees before accepting: the team, the role, and whether to create an account or sign in. */
export function lookupInvitation(ctx: AppContext, token: string) {
  const row = byToken(ctx, token);
  const names = teamNames(ctx, row.teamId);
  return { ...invitationJson(row), team_name: names.team, organization_name: names.organization, organization_id: names.organizationId, account_exists: !!findUserByEmail(ctx.db, row.email) };
}

/** The inviter must still be allowed to give the role, or the invitation has lapsed with their power. */
function inviterStillMay(ctx: Pick<AppContext, "db">, row: InvitationRow): boolean {
  if (!row.invitedByUserId || !isRole(row.role)) return false;
  const role = roleIn(ctx.db, row.teamId, row.invitedByUserId);
  return role !== null && roleCan(role, "members:write") && canAssignRole(role, row.role);
}

function join(ctx: AppContext, row: InvitationRow, userId: string, actor: Actor, now: number) {
  ctx.db.transaction((tx) => {
    const fresh = tx.select().from(invitations).where(and(eq(invitations.id, row.id), pending(now))).get();
    if (!fresh) throw conflict("This invitation is no longer open.");
    if (!inviterStillMay({ db: tx as unknown as AppContext["db"] }, fresh)) throw conflict("Whoever sent this invitation may no longer give that role: ask for a new one.");
    if (roleIn(tx, row.teamId, userId)) throw conflict("You are already a member of this team.");
    addMembership(tx, row.teamId, userId, row.role as Role, now);
    tx.update(invitations).set({ closedAt: now, outcome: "accepted", acceptedUserId: userId }).where(eq(invitations.id, row.id)).run();
    recordAudit(tx, { teamId: row.teamId, actor, action: "invitation.accepted", targetType: "invitation", targetId: row.id, metadata: { role: row.role } }, now);
    recordAudit(tx, { teamId: row.teamId, actor, action: "member.added", targetType: "user", targetId: userId, metadata: { role: row.role, invitation_id: row.id } }, now);
  });
}

/**
 * A new person accepts with the link: they choose their own name and password. An address that
 * already has an account is refused here: that person signs in and accepts in the dashboard.
 */
export async function acceptWithToken(ctx: AppContext, token: string, input: { name: string; password: string }, actor: Omit<Actor, "type" | "id">) {
  const row = byToken(ctx, token);
  if (findUserByEmail(ctx.db, row.email)) throw conflict(`An account for ${row.email} already exists: sign in, then accept the invitation under Invitations.`);
  checkPassword(input.password);
  if (!inviterStillMay(ctx, row)) throw conflict("Whoever sent this invitation may no longer give that role: ask for a new one.");
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock();
  let userId = "";
  ctx.db.transaction((tx) => {
    if (tx.select({ id: invitations.id }).from(invitations).where(and(eq(invitations.id, row.id), pending(now))).get() === undefined) throw conflict("This invitation is no longer open.");
    if (findUserByEmail(tx as unknown as AppContext["db"], row.email)) throw conflict(`An account for ${row.email} already exists: sign in, then accept the invitation under Invitations.`);
    const user = insertUser(tx, { email: row.email, name: input.name, passwordHash }, now);
    userId = user.id;
    recordAudit(tx, { teamId: row.teamId, actor: { ...actor, type: "user", id: user.id }, action: "user.created", targetType: "user", targetId: user.id, metadata: { invitation_id: row.id } }, now);
  });
  join(ctx, row, userId, { ...actor, type: "user", id: userId }, now);
  return { user_id: userId, email: row.email, team_id: row.teamId, role: row.role as Role };
}

/** The signed-in user's open invitations (addressed to their email). */
export function myInvitations(ctx: AppContext, userId: string) {
  const user = getUser(ctx.db, userId);
  if (!user) return { data: [] };
  const rows = ctx.db.select().from(invitations).where(and(eq(invitations.email, normalizeEmail(user.email)), pending(ctx.clock()))).orderBy(asc(invitations.createdAt)).all();
  return {
    data: rows.map((r) => {
      const names = teamNames(ctx, r.teamId);
      return { ...invitationJson(r), team_name: names.team, organization_name: names.organization, organization_id: names.organizationId };
    }),
  };
}

function mine(ctx: AppContext, userId: string, id: string): InvitationRow {
  const user = getUser(ctx.db, userId);
  const row = ctx.db.select().from(invitations).where(and(eq(invitations.id, id), pending(ctx.clock()))).get();
  if (!user || !row || row.email !== normalizeEmail(user.email)) throw notFound("Invitation not found (or no longer open).");
  return row;
}

export function acceptMine(ctx: AppContext, userId: string, id: string, actor: Actor) {
  const row = mine(ctx, userId, id);
  join(ctx, row, userId, actor, ctx.clock());
  return { user_id: userId, team_id: row.teamId, role: row.role as Role, status: "accepted" as const };
}

export function declineMine(ctx: AppContext, userId: string, id: string, actor: Actor) {
  const row = mine(ctx, userId, id);
  const now = ctx.clock();
  ctx.db.transaction((tx) => {
    tx.update(invitations).set({ closedAt: now, outcome: "declined" }).where(eq(invitations.id, id)).run();
    recordAudit(tx, { teamId: row.teamId, actor, action: "invitation.declined", targetType: "invitation", targetId: id }, now);
  });
  return { user_id: userId, team_id: row.teamId, role: row.role as Role, status: "declined" as const };
}

/** Guards the one legacy field: an admin no longer sets anyone's password. */
export function refuseAdminPassword(input: { password?: string; name?: string }): void {
  if (input.password !== undefined) throw badRequest("Members choose their own password: leave out `password`; the answer carries an invitation link to give them.");
}
