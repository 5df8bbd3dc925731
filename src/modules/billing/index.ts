/**
 * POST /api/v1/webhooks/polar (the LeapOCR reference's path): Polar's signed webhooks, mounted
 * only when LEAPOCR_POLAR_WEBHOOK_SECRET is set (otherwise the route does not exist: 404).
 *
 * The raw body is read here, within LEAPOCR_MAX_JSON_BYTES (app.ts lists the route among those
 * that limit their own body), because the signature covers its exact bytes. Answers: 400 for
 * missing headers, a timestamp off by more than 5 minutes or a body that is not an event; 401
 * for a signature that does not match; 200 for every verified event, with what was done.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { badRequest, payloadTooLarge, unauthorized } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import { readAtMost } from "../../lib/read-body";
import { depthExceeds } from "../../lib/request-body";
import { clientIp, limitersOf } from "../auth/limits";
import { ErrorResponse } from "../ocr/model";
import { PolarEvent, PolarWebhookResponse } from "./model";
import { handlePolarEvent, parsePolarProducts } from "./service";
import { verifyStandardWebhook } from "./signature";

export const POLAR_WEBHOOK_ROUTE = "/api/v1/webhooks/polar";

async function readBody(ctx: AppContext, request: Request): Promise<Uint8Array> {
  const max = ctx.config.maxJsonBytes;
  const tooLarge = () => payloadTooLarge(`The webhook body is over ${max} bytes (LEAPOCR_MAX_JSON_BYTES).`);
  if (Number(request.headers.get("content-length") ?? 0) > max) throw tooLarge();
  const bytes = await readAtMost(request, max);
  if (!bytes) throw tooLarge();
  return bytes;
}

/** The route, or null when Polar billing is off. Products are parsed here, so a bad list stops the start. */
export function polarBillingRoutes(ctx: AppContext) {
  const secret = ctx.config.polarWebhookSecret;
  if (!secret) return null;
  const products = parsePolarProducts(ctx.config.polarProducts);
  if (products.size === 0) ctx.logger.warn("LEAPOCR_POLAR_WEBHOOK_SECRET is set but LEAPOCR_POLAR_PRODUCTS is empty: every Polar order will be ignored");
  return new Elysia({ name: "billing.polar" }).post(
    POLAR_WEBHOOK_ROUTE,
    async ({ request }) => {
      const body = await readBody(ctx, request);
      const check = verifyStandardWebhook(secret, request.headers, body, Math.floor(ctx.clock() / 1000));
      if (!check.ok) {
        ctx.logger.warn("polar webhook refused", { reason: check.kind, webhook_id: request.headers.get("webhook-id") });
        // Counted like any request without valid credentials (LEAPOCR_RATE_LIMIT_PER_IP); Polar's own deliveries verify and are never counted.
        enforce(limitersOf(ctx).perIp.take(`ip:${clientIp(ctx, request) ?? "unknown"}`), "Too many refused webhook deliveries from this address. Wait and retry.");
        throw check.kind === "bad_signature" ? unauthorized(check.message) : badRequest(check.message);
      }
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw badRequest("The webhook body is not JSON.");
      }
      if (depthExceeds(json)) throw badRequest("The webhook body is nested too deep.");
      const event = v.safeParse(PolarEvent, json);
      if (!event.success) throw badRequest("The webhook body is not a Polar event ({type, data}).");
      return handlePolarEvent(ctx, products, check.webhookId, event.output);
    },
    {
      // Read above: the signature covers the exact bytes.
      parse: "none",
      response: { 200: PolarWebhookResponse, 400: ErrorResponse, 401: ErrorResponse, 413: ErrorResponse, 429: ErrorResponse },
      detail: {
        summary: "Polar billing webhook",
        description:
          "Receives Polar's webhooks (Standard Webhooks signature: webhook-id, webhook-timestamp, webhook-signature). Exists only when the operator sets LEAPOCR_POLAR_WEBHOOK_SECRET. " +
          "A paid order (order.paid) of a product listed in LEAPOCR_POLAR_PRODUCTS grants its credits once to the team named by `leapocr_team_id` in the checkout's metadata; order.refunded is recorded without a debit; other events answer 200 with status ignored and the reason.",
        tags: ["Credits"],
        security: [],
      },
    },
  );
}

