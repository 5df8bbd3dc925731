/**
 * Who may do what: the one place where roles become powers (docs/SECURITY.md lists the same
 * table for people). Routes name the permission they need; they never test roles themselves.
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

export function apiKeyCan(scopes: string, permission: Permission): boolean {
  const list = scopes.split(",").map((s) => s.trim());
  if (API_KEY_EXPLICIT_PERMISSIONS.has(permission)) return list.includes(permission);
  if (!API_KEY_PERMISSIONS.has(permission)) return false;
  return list.includes("*") || list.includes(permission) || list.includes(permission.split(":")[0]!);
}

export const roleCan = (role: Role, permission: Permission): boolean => ROLE_PERMISSIONS[role].has(permission);

/** Admins may not grant or take away the owner role; only owners can. */
export function canAssignRole(actor: Role, target: Role, current?: Role): boolean {
  if (actor === "owner") return true;
  return actor === "admin" && target !== "owner" && current !== "owner";
}
