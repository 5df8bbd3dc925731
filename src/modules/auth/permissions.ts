/**
 * Who may do what: the one place where roles become powers (docs/SECURITY.md lists the same
 * table for people, and a test checks the two agree). Routes name the permission they need;
 * they never test roles themselves.
 */
export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  "jobs:read", "jobs:write", "jobs:delete",
  "templates:read", "templates:write",
  "webhooks:read", "webhooks:write",
  "settings:read", "settings:write",
  "keys:read", "keys:write",
  "members:read", "members:write",
  "credits:read", "credits:write",
  "analytics:read",
  "audit:read",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** One line per permission, for people (docs/SECURITY.md) and for the OpenAPI descriptions. */
export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  "jobs:read": "List jobs, read status and results",
  "jobs:write": "Upload documents and start jobs",
  "jobs:delete": "Delete jobs and their results",
  "templates:read": "List and read templates",
  "templates:write": "Create, change and delete templates",
  "webhooks:read": "List webhooks and their deliveries",
  "webhooks:write": "Create, change, test and delete webhooks; rotate their secrets",
  "settings:read": "Read team settings (retention)",
  "settings:write": "Change team settings (retention)",
  "keys:read": "List the team's API keys (never their secrets)",
  "keys:write": "Create and revoke the team's API keys",
  "members:read": "List the team's members and their roles",
  "members:write": "Add and remove members, change roles",
  "credits:read": "Read the credit balance and transactions",
  "credits:write": "Grant or adjust credits",
  "analytics:read": "Read usage analytics",
  "audit:read": "Read the team's audit log",
};

const READ: Permission[] = ["jobs:read", "templates:read", "webhooks:read", "settings:read", "credits:read", "analytics:read", "members:read"];
const MEMBER: Permission[] = [...READ, "jobs:write", "jobs:delete", "templates:write", "keys:read", "keys:write"];
const ADMIN: Permission[] = [...MEMBER, "webhooks:write", "settings:write", "members:write", "audit:read"];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set<Permission>([...ADMIN, "credits:write"]),
  admin: new Set(ADMIN),
  member: new Set(MEMBER),
  viewer: new Set(READ),
};

/**
 * An API key acts for its team with at most a member's powers, narrowed by its scopes
 * ("*" = all of those). Keys cannot manage keys, members, settings or read the audit log.
 */
export const API_KEY_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  "jobs:read", "jobs:write", "jobs:delete", "templates:read", "templates:write", "webhooks:read",
  "settings:read", "credits:read", "analytics:read",
]);

/** Powers a key may hold only when named in its scopes explicitly (for automation set up by an admin). */
export const API_KEY_EXPLICIT_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(["settings:write", "webhooks:write"]);

/** Scope words a key may carry: "*", a resource ("jobs" = jobs:read/write/delete) or a permission. */
export function isValidScope(scope: string): boolean {
  if (scope === "*") return true;
  if ((API_KEY_PERMISSIONS as Set<string>).has(scope) || (API_KEY_EXPLICIT_PERMISSIONS as Set<string>).has(scope)) return true;
  return [...API_KEY_PERMISSIONS].some((p) => p.split(":")[0] === scope);
}

/** The permissions a list of scopes grants a key. */
export function scopePermissions(scopes: string): Permission[] {
  return PERMISSIONS.filter((p) => apiKeyCan(scopes, p));
}

export function apiKeyCan(scopes: string, permission: Permission): boolean {
  const list = scopes.split(",").map((s) => s.trim());
  if (API_KEY_EXPLICIT_PERMISSIONS.has(permission)) return list.includes(permission);
  if (!API_KEY_PERMISSIONS.has(permission)) return false;
  return list.includes("*") || list.includes(permission) || list.includes(permission.split(":")[0]!);
}

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

export const roleCan = (role: Role, permission: Permission): boolean => ROLE_PERMISSIONS[role].has(permission);

/** A user may give a key only powers they hold themselves (a member cannot mint a settings:write key). */
export function canGrantScopes(role: Role, scopes: string): boolean {
  return scopePermissions(scopes).every((p) => roleCan(role, p));
}

/**
 * What a key may do: its scopes, narrowed by its creator's current role in the key's team
 * (null = a key no user made, e.g. the bootstrap key). Checked on every request, so a demotion
 * narrows the key at once (issue 15, finding 2).
 */
export function keyCan(scopes: string, creatorRole: Role | null, permission: Permission): boolean {
  return apiKeyCan(scopes, permission) && (creatorRole === null || roleCan(creatorRole, permission));
}

/** The caller of a workspace route, as far as permissions care. */
export type PowerHolder = { kind: "user"; role: Role } | { kind: "api_key"; scopes: string; creatorRole: Role | null };

export function principalCan(p: PowerHolder, permission: Permission): boolean {
  return p.kind === "user" ? roleCan(p.role, permission) : keyCan(p.scopes, p.creatorRole, permission);
}

/** Admins may not grant or take away the owner role; only owners can. */
export function canAssignRole(actor: Role, target: Role, current?: Role): boolean {
  if (actor === "owner") return true;
  return actor === "admin" && target !== "owner" && current !== "owner";
}

/** Removing a member follows the same rule as changing their role: admins cannot remove owners. */
export const canRemoveMember = (actor: Role, current: Role): boolean => canAssignRole(actor, current, current);

/**
 * SDK routes (X-API-KEY only) need the job permission that matches what they do: reading
 * status/results/models is jobs:read, deleting is jobs:delete, everything else jobs:write.
 */
export function sdkPermission(method: string): Permission {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") return "jobs:read";
  if (m === "DELETE") return "jobs:delete";
  return "jobs:write";
}

/** A new team in an organization may be made by whoever owns one of its teams. */
export const canCreateTeam = (rolesInOrg: Role[]): boolean => rolesInOrg.includes("owner");

/** The roles-and-powers table of docs/SECURITY.md, made from the sets above (a test checks the file holds exactly this). */
export function renderPermissionTable(): string {
  const yes = (b: boolean) => (b ? "yes" : "-");
  const lines = [
    "| Permission | What it allows | owner | admin | member | viewer | API key `*` | API key, named scope |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const p of PERMISSIONS) {
    lines.push(`| \`${p}\` | ${PERMISSION_DESCRIPTIONS[p]} | ${ROLES.map((r) => yes(roleCan(r, p))).join(" | ")} | ${yes(apiKeyCan("*", p))} | ${yes(apiKeyCan(p, p))} |`);
  }
  return lines.join("\n");
}

/** A team always keeps an owner: true when changing `from` to `to` (null = removed) would leave none. */
export const leavesNoOwner = (from: Role, to: Role | null, owners: number): boolean => from === "owner" && to !== "owner" && owners <= 1;
