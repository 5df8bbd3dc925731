/**
 * GET/POST /organizations/{organization_id}/teams/{team_id}/members (POST invites),
 * PATCH/DELETE .../members/{user_id}, GET/DELETE .../invitations; the invitee's side:
 * /auth/invitations (signed in) and /invitations/lookup, /invitations/accept (with the link's token).
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { forbidden } from "../../lib/errors";
import { sessionGuard, teamGuard, type Principal } from "../auth";
import type { Role } from "../auth/permissions";
import { clientIp, limitersOf } from "../auth/limits";
import { enforce } from "../../lib/rate-limit";
import * as m from "./model";
import * as members from "./service";
import * as inv from "./invitations";
import * as dsr from "./data-subject";

const err = { 400: m.ErrorResponse, 401: m.ErrorResponse, 403: m.ErrorResponse, 404: m.ErrorResponse, 409: m.ErrorResponse, 429: m.ErrorResponse };
const security: Record<string, string[]>[] = [{ bearer: [] }, { sessionCookie: [] }, { apiKey: [] }];
const sessionOnly: Record<string, string[]>[] = [{ bearer: [] }, { sessionCookie: [] }];

function roleOf(p: Principal): Role {
  if (p.kind !== "user") throw forbidden("API keys cannot manage members; log in.");
  return p.role;
}

function userOf(p: Principal): { userId: string; role: Role } {
  if (p.kind !== "user") throw forbidden("API keys cannot manage members; log in.");
  return { userId: p.userId, role: p.role };
}

const baseUrlOf = (ctx: AppContext, request: Request) => (ctx.config.publicUrl ? ctx.config.publicUrl.replace(/\/+$/, "") : new URL(request.url).origin);

export const memberRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "members.routes" })
    .use(teamGuard(ctx))
    .get("/members", ({ team }) => members.listMembers(ctx, team.id), {
      team: "members:read",
      params: m.TeamPathParams,
      response: { 200: m.MemberListResponse, ...err },
      detail: { summary: "List members", description: "The team's members and their roles.", tags: ["Members"], security },
    })
    .post(
      "/members",
      ({ team, principal, actor, body, request, set }) => {
        inv.refuseAdminPassword(body);
        set.status = 201;
        return inv.inviteMember(ctx, team.id, userOf(principal), body, actor, baseUrlOf(ctx, request));
      },
      {
        team: "members:write",
        params: m.TeamPathParams,
        body: m.AddMemberRequest,
        response: { 201: m.InvitationCreated, ...err },
        detail: {
          summary: "Invite a member",
          description: `Invites an email with a role and answers a one-time \`invite_url\` to hand over (valid ${inv.INVITATION_DAYS} days; a new invitation to the same email replaces it). Nobody joins without accepting: a new person sets their own name and password through the link; someone with an account signs in and accepts under their invitations. Only owners may give the owner role.`,
          tags: ["Members"],
          security,
        },
      },
    )
    .get("/invitations", ({ team }) => inv.listInvitations(ctx, team.id), {
      team: "members:write",
      params: m.TeamPathParams,
      response: { 200: m.InvitationListResponse, ...err },
      detail: { summary: "Open invitations", description: "Invitations of the team not yet accepted, declined, revoked or expired (never their links).", tags: ["Members"], security },
    })
    .delete("/invitations/:invitation_id", ({ team, actor, params }) => inv.revokeInvitation(ctx, team.id, params.invitation_id, actor), {
      team: "members:write",
      params: m.InvitationPathParams,
      response: { 200: m.Invitation, ...err },
      detail: { summary: "Revoke an invitation", description: "Its link stops working at once.", tags: ["Members"], security },
    })
    .post(
      "/members/:user_id/export",
      ({ team, principal, actor, params, set }) => {
        const out = dsr.exportUser(ctx, team.id, userOf(principal).userId, params.user_id, actor);
        set.headers["cache-control"] = "no-store";
        set.headers["content-disposition"] = `attachment; filename="leapocr-user-${params.user_id}.json"`;
        return out;
      },
      {
        team: "members:write",
        params: m.MemberPathParams,
        response: { 200: m.UserExport, ...err },
        detail: { summary: "Export a member's data", description: "Everything the server holds about the person (right of access): profile, memberships, sessions with addresses, API key metadata, invitations, templates and webhooks they made, and the audit rows about them. Needs members:write in every team the person belongs to. A POST because each export is recorded (user.exported).", tags: ["Members"], security },
      },
    )
    .post("/members/:user_id/erase", ({ team, principal, actor, params }) => dsr.eraseUser(ctx, team.id, userOf(principal).userId, params.user_id, actor), {
      team: "members:write",
      params: m.MemberPathParams,
      response: { 200: m.EraseResponse, ...err },
      detail: { summary: "Erase a member", description: "Right of erasure: revokes every session and API key of the person, ends their memberships and invitations, removes their email, name and password, and replaces their id in audit rows with a random pseudonym (addresses, user agents and their email removed). Needs members:write, and the power to remove them, in every team they belong to; a last owner is refused (409). Recorded as user.erased.", tags: ["Members"], security },
    })
    .patch("/members/:user_id", ({ team, principal, actor, params, body }) => members.changeRole(ctx, team.id, roleOf(principal), params.user_id, body.role, actor), {
      team: "members:write",
      params: m.MemberPathParams,
      body: m.UpdateMemberRequest,
      response: { 200: m.Member, ...err },
      detail: { summary: "Change a member's role", description: "Only owners may make or unmake owners; a team keeps at least one owner.", tags: ["Members"], security },
    })
    .delete("/members/:user_id", ({ team, principal, actor, params }) => members.removeMember(ctx, team.id, roleOf(principal), params.user_id, actor), {
      team: "members:write",
      params: m.MemberPathParams,
      response: { 200: m.RemoveMemberResponse, ...err },
      detail: { summary: "Remove a member", description: "Their access to the team ends with their next request, and the API keys they made for it are revoked. Admins cannot remove owners; a team keeps at least one owner.", tags: ["Members"], security },
    });

/** The invitee's side: their own invitations when signed in, and the link's token for a new account. */
export const invitationRoutes = (ctx: AppContext) =>
  new Elysia({ name: "members.invitee" })
    .use(sessionGuard(ctx))
    .get("/api/v1/auth/invitations", ({ user }) => inv.myInvitations(ctx, user.userId), {
      session: true,
      response: { 200: m.MyInvitationsResponse, ...err },
      detail: { summary: "My invitations", description: "Open invitations addressed to the signed-in user's email, with the team and role.", tags: ["Members"], security: sessionOnly },
    })
    .post("/api/v1/auth/invitations/:invitation_id/accept", ({ user, actor, params }) => inv.acceptMine(ctx, user.userId, params.invitation_id, actor), {
      session: true,
      params: m.MyInvitationPath,
      response: { 200: m.AcceptedResponse, ...err },
      detail: { summary: "Accept an invitation", description: "Joins the team with the invited role.", tags: ["Members"], security: sessionOnly },
    })
    .post("/api/v1/auth/invitations/:invitation_id/decline", ({ user, actor, params }) => inv.declineMine(ctx, user.userId, params.invitation_id, actor), {
      session: true,
      params: m.MyInvitationPath,
      response: { 200: m.AcceptedResponse, ...err },
      detail: { summary: "Decline an invitation", description: "The invitation closes; the team is not joined.", tags: ["Members"], security: sessionOnly },
    })
    .post(
      "/api/v1/invitations/lookup",
      ({ body, request, server }) => {
        enforce(limitersOf(ctx).perIp.take(`ip:${clientIp(ctx, request, server) ?? "unknown"}`), "Too many requests from this address. Wait and retry.");
        return inv.lookupInvitation(ctx, body.token);
      },
      {
        body: m.TokenRequest,
        response: { 200: m.InvitationLookup, ...err },
        detail: { summary: "Read an invitation link", description: "What the link invites to (team, role, email) and whether that email already has an account. The token is the part of the link after `#/invite/`.", tags: ["Members"], security: [] },
      },
    )
    .post(
      "/api/v1/invitations/accept",
      async ({ body, request, server }) => {
        const ip = clientIp(ctx, request, server);
        enforce(limitersOf(ctx).perIp.take(`ip:${ip ?? "unknown"}`), "Too many requests from this address. Wait and retry.");
        return inv.acceptWithToken(ctx, body.token, { name: body.name, password: body.password }, { ip, userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null });
      },
      {
        body: m.AcceptWithTokenRequest,
        response: { 200: m.AcceptedResponse, ...err },
        detail: { summary: "Accept an invitation with a new account", description: "For an email without an account: creates it with the name and password the invitee chooses (at least 12 characters) and joins the team. An email that has an account answers 409: sign in and accept under your invitations.", tags: ["Members"], security: [] },
      },
    );
