import { Elysia } from "elysia";
import * as v from "valibot";

const Health = v.object({ status: v.literal("ok"), version: v.string() });

/** Answers once the server can take work (migrations applied, worker started). */
export const healthRoutes = (version: string) =>
  new Elysia({ name: "health" })
    .get("/api/v1/health", () => ({ status: "ok" as const, version }), { response: { 200: Health }, detail: { summary: "Health", tags: ["SDK"] } })
    .get("/health", () => ({ status: "ok" as const, version }), { response: { 200: Health }, detail: { hide: true } });
