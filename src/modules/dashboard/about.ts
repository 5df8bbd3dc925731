/**
 * What the dashboard's help menu shows about this server: its version, where its API
 * documentation lives, and the operator's support or booking link (LEAPOCR_SUPPORT_URL, null
 * when unset). Public like /api/v1/health, which already tells the version: nothing here is
 * a secret, and the help menu is useful before signing in too. The server never requests the
 * support link; the browser opens it only when the user clicks it.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import pkg from "../../../package.json" with { type: "json" };
import { DOCS_PATH } from "../docs";

export const AboutResponse = v.object({
  version: v.pipe(v.string(), v.description("The server's version (as in /api/v1/health).")),
  docs_url: v.pipe(v.string(), v.description("Path of this server's interactive API documentation.")),
  openapi_url: v.pipe(v.string(), v.description("Path of this server's OpenAPI document.")),
  support_url: v.pipe(v.nullable(v.string()), v.description("The operator's support or booking link (https:// or mailto:), or null when none is configured.")),
});

export const aboutRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/dashboard", name: "dashboard.about" }).get(
    "/about",
    () => ({ version: pkg.version, docs_url: DOCS_PATH, openapi_url: `${DOCS_PATH}/openapi.json`, support_url: ctx.config.supportUrl || null }),
    {
      response: { 200: AboutResponse },
      detail: {
        summary: "About this server",
        description: "The server's version, where its API documentation is, and the support or booking link its operator configured (LEAPOCR_SUPPORT_URL; null when unset). No credentials needed.",
        tags: ["Dashboard"],
        security: [],
      },
    },
  );
