/** The permissions module is the one place roles become powers, and docs/SECURITY.md says the same thing. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  API_KEY_EXPLICIT_PERMISSIONS, PERMISSIONS, ROLES, apiKeyCan, canAssignRole, canGrantScopes, canRemoveMember, isValidScope,
  leavesNoOwner, renderPermissionTable, roleCan, sdkPermission,
} from "../../../src/modules/auth/permissions";

const root = join(import.meta.dir, "../../..");

describe("docs/SECURITY.md", () => {
  test("holds exactly the roles-and-powers table made from permissions.ts", () => {
    const doc = readFileSync(join(root, "docs/SECURITY.md"), "utf8");
    const m = /<!-- permissions-table:start -->\n([\s\S]*?)\n<!-- permissions-table:end -->/.exec(doc);
    expect(m).not.toBeNull();
    // To update: bun -e 'import {renderPermissionTable as r} from "./src/modules/auth/permissions"; console.log(r())'
    expect(m![1]).toBe(renderPermissionTable());
  });
});

describe("roles", () => {
  test("each role holds everything the role below it holds", () => {
    for (let i = 1; i < ROLES.length; i++) {
      for (const p of PERMISSIONS) if (roleCan(ROLES[i]!, p)) expect({ role: ROLES[i - 1], p, can: roleCan(ROLES[i - 1]!, p) }).toEqual({ role: ROLES[i - 1], p, can: true });
    }
  });
  test("viewers only read", () => {
    for (const p of PERMISSIONS) if (roleCan("viewer", p)) expect(p.endsWith(":read")).toBe(true);
  });
  test("only owners make owners; admins cannot touch owners; a team keeps an owner", () => {
    expect(canAssignRole("owner", "owner")).toBe(true);
    expect(canAssignRole("admin", "owner")).toBe(false);
    expect(canAssignRole("admin", "member", "owner")).toBe(false);
    expect(canAssignRole("admin", "viewer", "member")).toBe(true);
    expect(canAssignRole("member", "viewer", "viewer")).toBe(false);
    expect(canRemoveMember("admin", "owner")).toBe(false);
    expect(canRemoveMember("admin", "member")).toBe(true);
    expect(leavesNoOwner("owner", "admin", 1)).toBe(true);
    expect(leavesNoOwner("owner", null, 2)).toBe(false);
    expect(leavesNoOwner("admin", null, 1)).toBe(false);
  });
});

describe("API keys", () => {
  test("never manage keys or members, never read the audit log, never grant credits, whatever their scopes", () => {
    const everything = ["*", ...PERMISSIONS].join(",");
    for (const p of ["keys:read", "keys:write", "members:read", "members:write", "audit:read", "credits:write"] as const) expect(apiKeyCan(everything, p)).toBe(false);
  });
  test("`*` excludes the explicit-only powers; naming them grants them", () => {
    for (const p of API_KEY_EXPLICIT_PERMISSIONS) {
      expect(apiKeyCan("*", p)).toBe(false);
      expect(apiKeyCan(p, p)).toBe(true);
    }
  });
  test("a resource scope grants its actions; a permission scope only itself", () => {
    expect(apiKeyCan("jobs", "jobs:delete")).toBe(true);
    expect(apiKeyCan("jobs:read", "jobs:write")).toBe(false);
    expect(isValidScope("jobs")).toBe(true);
    expect(isValidScope("keys:write")).toBe(false);
    expect(isValidScope("admin")).toBe(false);
  });
  test("nobody gives a key more than their role holds", () => {
    expect(canGrantScopes("member", "*")).toBe(true);
    expect(canGrantScopes("member", "settings:write")).toBe(false);
    expect(canGrantScopes("admin", "settings:write,webhooks:write")).toBe(true);
    expect(canGrantScopes("viewer", "jobs:read")).toBe(true);
    expect(canGrantScopes("viewer", "*")).toBe(false);
  });
  test("SDK routes need the job permission matching their method", () => {
    expect(sdkPermission("GET")).toBe("jobs:read");
    expect(sdkPermission("DELETE")).toBe("jobs:delete");
    expect(sdkPermission("POST")).toBe("jobs:write");
  });
});

describe("one permissions module", () => {
  test("no source file outside permissions.ts compares a role by name", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts") && !path.endsWith("auth/permissions.ts")) {
          const text = readFileSync(path, "utf8");
          // "owner" and "viewer" mean nothing else here; "admin" and "member" only next to a role variable.
          if (/(===|!==)\s*"(owner|viewer)"|"(owner|viewer)"\s*(===|!==)|\w*role\w*\s*(===|!==)\s*"(admin|member)"/i.test(text)) offenders.push(path.slice(root.length + 1));
        }
      }
    };
    walk(join(root, "src"));
    expect(offenders).toEqual([]);
  });
});
