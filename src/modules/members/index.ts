/** GET/POST /organizations/{organization_id}/teams/{team_id}/members, PATCH/DELETE .../members/{user_id}. */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { forbidden } from "../../lib/errors";
import { teamGuard, type Principal } from "../auth";
import type { Role } from "../auth/permissions";
import * as m from "./model";
import * as members from "./service";

const err = { 400: m.ErrorResponse, 401: m.ErrorResponse, 403: m.ErrorResponse, 404: m.ErrorResponse, 409: m.ErrorResponse, 429: m.ErrorResponse };
const security: Record<string, string[]>[] = [{ bearer: [] }, { sessionCookie: [] }, { apiKey: [] }];

function roleOf(p: Principal): Role {
  if (p.kind !== "user") throw forbidden("API keys cannot manage members; log in.");
  return p.role;
}

export const memberRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "members.routes" })
    .use(teamGuard(ctx))
    .get("/members", ({ team }) => members.listMembers(ctx, team.id), {
      team: "members:read",
      params: m.TeamPathParams,
      response: { 200: m.MemberListResponse, ...err },
      detail: { summary: "List members", description: "The team's members and their roles.", tags: ["Members"], security },
    })
    .post("/members", ({ team, principal, actor, body }) => members.addMember(ctx, team.id, roleOf(principal), body, actor), {
      team: "members:write",
      params: m.TeamPathParams,
      body: m.AddMemberRequest,
      response: { 200: m.Member, ...err },
      detail: { summary: "Add a member", description: "Adds an existing user by email, or creates a user with a name and a first password (at least 12 characters). Only owners may give the owner role.", tags: ["Members"], security },
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
      detail: { summary: "Remove a member", description: "Their access to the team ends with their next request. Admins cannot remove owners; a team keeps at least one owner.", tags: ["Members"], security },
    });
