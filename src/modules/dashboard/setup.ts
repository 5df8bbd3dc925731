/**
 * First run: while no user exists, the dashboard offers a form that creates the first owner of
 * the default team and signs them in. The route answers 409 as soon as any user exists, so it
 * cannot be used to add accounts later (members are added by owners; `leapocr admin create`).
 * The count and the insert run with no await between them, so two racing first-run requests
 * cannot both succeed in one process.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { ConfigError } from "../../config";
import { badRequest, conflict } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import { createOwner } from "../auth/bootstrap";
import { clientIp, isSecureRequest, limitersOf } from "../auth/limits";
import { createSession, SESSION_COOKIE } from "../auth/sessions";
import { countUsers, teamsOfUser } from "../auth/users";
import { isRole } from "../auth/permissions";

const SetupRequest = v.object({
  email: v.pipe(v.string(), v.minLength(3), v.maxLength(320)),
  password: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

export const setupRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/dashboard", name: "dashboard.setup" })
    .get("/setup", ({ set }) => {
      set.headers["cache-control"] = "no-store";
      return { needs_setup: countUsers(ctx.db) === 0 };
    }, { detail: { hide: true } })
    .post(
      "/setup",
      ({ body, request, server, set }) => {
        // Same rule as login: JSON only, so a cross-site form cannot post here without a preflight.
        if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
          throw badRequest("Send the first admin as JSON (Content-Type: application/json).");
        }
        const ip = clientIp(ctx, request, server) ?? "unknown";
        enforce(limitersOf(ctx).perIp.take(`ip:${ip}`), "Too many requests from this address. Wait and retry.");
        if (countUsers(ctx.db) > 0) throw conflict("The server already has an admin. Sign in instead.");
        const now = ctx.clock();
        const userAgent = request.headers.get("user-agent")?.slice(0, 512) ?? null;
        let user;
        try {
          user = createOwner(ctx.db, { email: body.email, password: body.password, name: body.name || undefined }, { type: "system", id: "first-run", ip, userAgent }, now);
        } catch (err) {
          if (err instanceof ConfigError) throw badRequest(err.message);
          throw err;
        }
        const session = createSession(ctx.db, user.id, { type: "user", id: user.id, ip, userAgent }, ctx.config, now);
        const cookie = [`${SESSION_COOKIE}=${session.token}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${ctx.config.sessionMaxHours * 3600}`];
        if (isSecureRequest(ctx, request)) cookie.push("Secure");
        set.headers["set-cookie"] = cookie.join("; ");
        set.headers["cache-control"] = "no-store";
        return {
          csrf_token: session.csrfToken,
          user: { id: user.id, email: user.email, name: user.name },
          teams: teamsOfUser(ctx.db, user.id).map((t) => ({ id: t.teamId, name: t.teamName, organization_id: t.organizationId, organization_name: t.organizationName, role: isRole(t.role) ? t.role : null })),
        };
      },
      { body: SetupRequest, detail: { hide: true } },
    );
