/**
 * A harness for tests that need tenants: organizations, teams, users with roles, sessions and
 * API keys, made through the same service functions the server uses. Others' tests reuse it:
 *
 *   const a = await seedTenant(t, "A");          // org + team + owner/admin/member/viewer + a key
 *   await api(t, "GET", `${a.base}/members`, { session: a.sessions.viewer });
 *   await api(t, "POST", `${a.base}/api-keys`, { cookie: a.sessions.owner, body: {...} });  // cookie + CSRF
 */
import { eq } from "drizzle-orm";
import type { TestServer } from "./app";
import { apiKeys, teams } from "../../src/db/schema";
import { createApiKey, createOrganization, createTeam, defaultTeam } from "../../src/modules/auth/service";
import { addMembership, createUserInTeam, findUserByEmail, hashPassword } from "../../src/modules/auth/users";
import type { Role } from "../../src/modules/auth/permissions";

export const TEST_PASSWORD = "correct horse battery staple";

export interface SeededTeam {
  orgId: string;
  teamId: string;
  /** `/api/v1/organizations/<org>/teams/<team>`: prefix of the team's workspace routes. */
  base: string;
}

export interface Session {
  token: string;
  csrfToken: string;
  sessionId: string;
  userId: string;
  email: string;
}

export interface SeededUser {
  id: string;
  email: string;
  password: string;
}

const SYSTEM = { type: "system" as const, id: "test-harness" };

export const teamBase = (orgId: string, teamId: string) => `/api/v1/organizations/${orgId}/teams/${teamId}`;

/** The team made at first start (the bootstrap key TEST_API_KEY belongs to it). */
export function defaultTeamOf(t: TestServer): SeededTeam {
  const team = defaultTeam(t.server.ctx.db)!;
  return { orgId: team.organizationId, teamId: team.id, base: teamBase(team.organizationId, team.id) };
}

/** A new organization with one team (or a new team in `orgId`). */
export function seedTeam(t: TestServer, name = "Team", orgId?: string): SeededTeam {
  const db = t.server.ctx.db;
  const org = orgId ?? createOrganization(db, `${name} organization`).id;
  const team = createTeam(db, org, name);
  return { orgId: org, teamId: team.id, base: teamBase(org, team.id) };
}

let userCounter = 0;

/** A user with a password and a role in a team (an existing user with that email just joins). */
export async function seedUser(t: TestServer, teamId: string, role: Role, opts: { email?: string; password?: string; name?: string } = {}): Promise<SeededUser> {
  const db = t.server.ctx.db;
  const email = opts.email ?? `user${++userCounter}-${role}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const password = opts.password ?? TEST_PASSWORD;
  const existing = findUserByEmail(db, email);
  if (existing) {
    addMembership(db, teamId, existing.id, role, Date.now());
    return { id: existing.id, email, password };
  }
  const user = createUserInTeam(db, { email, name: opts.name ?? `${role} user`, passwordHash: await hashPassword(password), teamId, role }, SYSTEM, Date.now());
  return { id: user.id, email, password };
}

/** An API key of a team; `expiresAt` in ms (in the past = expired); `revoked` revokes it at once. */
export function seedKey(t: TestServer, teamId: string, opts: { name?: string; scopes?: string; expiresAt?: number; revoked?: boolean } = {}): { id: string; secret: string; prefix: string } {
  const db = t.server.ctx.db;
  const key = createApiKey(db, teamId, opts.name ?? "test key", undefined, Date.now(), { scopes: opts.scopes ?? "*", expiresAt: opts.expiresAt ?? null });
  if (opts.revoked) db.update(apiKeys).set({ revokedAt: Date.now() }).where(eq(apiKeys.id, key.id)).run();
  return key;
}

/** Logs in through the real route; throws unless it answers 200. */
export async function login(t: TestServer, email: string, password = TEST_PASSWORD): Promise<Session & { setCookie: string | null }> {
  const res = await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { token: string; csrf_token: string; session_id: string; user: { id: string } };
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return { token: body.token, csrfToken: body.csrf_token, sessionId: body.session_id, userId: body.user.id, email, setCookie: res.headers.get("set-cookie") };
}

export interface ApiOptions {
  /** Authorization: Bearer <session token>. */
  session?: Pick<Session, "token">;
  /** The session cookie; with `csrf` (default true) also X-CSRF-Token. */
  cookie?: Pick<Session, "token" | "csrfToken">;
  csrf?: boolean | string;
  apiKey?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** One request with the chosen credentials; the body is parsed as JSON when it is JSON. */
export async function api(t: TestServer, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.session) headers.authorization = `Bearer ${opts.session.token}`;
  if (opts.cookie) {
    headers.cookie = `leapocr_session=${opts.cookie.token}`;
    if (opts.csrf !== false) headers["x-csrf-token"] = typeof opts.csrf === "string" ? opts.csrf : opts.cookie.csrfToken;
  }
  if (opts.apiKey) headers["x-api-key"] = opts.apiKey;
  if (opts.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, text, headers: res.headers };
}

export interface Tenant extends SeededTeam {
  users: Record<Role, SeededUser>;
  sessions: Record<Role, Session>;
  /** A key with scope "*". */
  key: { id: string; secret: string; prefix: string };
}

/** An organization + team (or the default team with `useDefault`) with one user of each role, logged in, and a key. */
export async function seedTenant(t: TestServer, name: string, opts: { useDefault?: boolean } = {}): Promise<Tenant> {
  const team = opts.useDefault ? defaultTeamOf(t) : seedTeam(t, name);
  const roles: Role[] = ["owner", "admin", "member", "viewer"];
  const users = {} as Record<Role, SeededUser>;
  const sessions = {} as Record<Role, Session>;
  for (const role of roles) {
    users[role] = await seedUser(t, team.teamId, role, { email: `${role}.${name.toLowerCase().replace(/\W+/g, "-")}.${crypto.randomUUID().slice(0, 6)}@example.test` });
    const s = await login(t, users[role].email, users[role].password);
    sessions[role] = s;
  }
  const key = seedKey(t, team.teamId, { name: `${name} key` });
  return { ...team, users, sessions, key };
}

export const teamName = (t: TestServer, teamId: string) => t.server.ctx.db.select({ name: teams.name }).from(teams).where(eq(teams.id, teamId)).get()?.name;

/** Invites `email` through the real route and accepts with the link as a new person choosing `password`; answers their user id. */
export async function inviteAndAccept(t: TestServer, base: string, inviter: Pick<Session, "token">, input: { email: string; role: Role; name?: string; password?: string }): Promise<string> {
  const invited = await api(t, "POST", `${base}/members`, { session: inviter, body: { email: input.email, role: input.role } });
  if (invited.status !== 201) throw new Error(`invite failed: ${invited.status} ${invited.text}`);
  const accepted = await api(t, "POST", "/api/v1/invitations/accept", { body: { token: invited.body.token, name: input.name ?? "Invited Person", password: input.password ?? TEST_PASSWORD } });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${accepted.text}`);
  return accepted.body.user_id;
}
