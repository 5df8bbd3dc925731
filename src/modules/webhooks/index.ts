/**
 * /organizations/{organization_id}/teams/{team_id}/webhooks/... and /webhooks/event-types, as
 * in the LeapOCR full reference. Reading needs webhooks:read; changing, testing and rotating
 * the secret need webhooks:write (an admin's power, or a key that names it in its scopes).
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { apiKeyGuard, teamGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import { WorkspaceParams } from "../jobs/paging";
import { EVENT_TYPES } from "./events";
import * as m from "./model";
import * as webhooks from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ["Webhooks"];
const security = [{ apiKey: [] }];

export const webhookRoutes = (ctx: AppContext) =>
  new Elysia({ name: "webhooks" })
    .use(apiKeyGuard(ctx))
    .get("/api/v1/webhooks/event-types", () => ({ event_types: [...EVENT_TYPES] }), {
      apiKey: true,
      response: { 200: m.EventTypesResponse, 401: ErrorResponse },
      detail: { summary: "Webhook event types", description: "The event types a subscription can name.", tags, security },
    })
    .use(
      new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id/webhooks", name: "webhooks.team" })
        .use(teamGuard(ctx))
        .get("", ({ team, query }) => webhooks.listWebhooks(ctx, team, query), {
          team: "webhooks:read",
          params: WorkspaceParams,
          query: m.WebhooksListQuery,
          response: { 200: m.WebhooksListResponse, ...errors },
          detail: { summary: "List webhook subscriptions", description: "Cursor pagination, newest first; filter by `enabled`.", tags, security },
        })
        .post(
          "",
          async ({ team, body, actor, set }) => {
            const out = await webhooks.createWebhook(ctx, team, body, actor);
            set.status = 201;
            return out;
          },
          {
            team: "webhooks:write",
            params: WorkspaceParams,
            body: m.CreateWebhookRequest,
            response: { 201: m.WebhookResponse, ...errors },
            detail: { summary: "Create a webhook subscription", description: "The url must be http(s) and may not point inside the server's network (loopback, private, link-local, metadata) unless the operator allow-listed it. The answer carries the signing secret.", tags, security },
          },
        )
        .get("/events", ({ team, query }) => webhooks.listEvents(ctx, team, query), {
          team: "webhooks:read",
          params: WorkspaceParams,
          query: m.EventsListQuery,
          response: { 200: m.EventsListResponse, ...errors },
          detail: { summary: "Webhook event log", description: "Deliveries with their payload, attempts, last HTTP status and error; filter by subscription, event type and status.", tags, security },
        })
        .get("/events/:event_id/payload", ({ team, params }) => webhooks.eventPayload(ctx, team, params.event_id), {
          team: "webhooks:read",
          params: m.EventIdPath,
          response: { 200: m.EventPayloadResponse, ...errors },
          detail: { summary: "Webhook event payload", description: "The exact body that was signed and sent, by delivery id or event id.", tags, security },
        })
        .get("/:id", ({ team, params }) => webhooks.getWebhook(ctx, team, params.id), {
          team: "webhooks:read",
          params: m.WebhookIdPath,
          response: { 200: m.WebhookResponse, ...errors },
          detail: { summary: "Get a webhook subscription", description: "One subscription: its URL, events and state. Never the secret.", tags, security },
        })
        .put("/:id", ({ team, params, body, actor }) => webhooks.updateWebhook(ctx, team, params.id, body, actor), {
          team: "webhooks:write",
          params: m.WebhookIdPath,
          body: m.UpdateWebhookRequest,
          response: { 200: m.WebhookResponse, ...errors },
          detail: { summary: "Update a webhook subscription", description: "Re-enabling a disabled subscription resets its failure count.", tags, security },
        })
        .delete(
          "/:id",
          async ({ team, params, actor, set }) => {
            await webhooks.deleteWebhook(ctx, team, params.id, actor);
            set.status = 204;
          },
          {
            team: "webhooks:write",
            params: m.WebhookIdPath,
            response: { 204: v.undefined(), ...errors },
            detail: { summary: "Delete a webhook subscription", description: "Its queued deliveries are dropped.", tags, security },
          },
        )
        .get("/:id/health", ({ team, params }) => webhooks.webhookHealth(ctx, team, params.id), {
          team: "webhooks:read",
          params: m.WebhookIdPath,
          response: { 200: m.WebhookHealthResponse, ...errors },
          detail: { summary: "Webhook health", description: "Probes the receiver with an unsigned GET and sums up its deliveries and consecutive failures.", tags, security },
        })
        .post("/:id/regenerate-secret", ({ team, params, actor }) => webhooks.regenerateSecret(ctx, team, params.id, actor), {
          team: "webhooks:write",
          params: m.WebhookIdPath,
          response: { 200: m.WebhookResponse, ...errors },
          detail: { summary: "Regenerate the signing secret", description: "The old secret stops signing at once; the answer carries the new one.", tags, security },
        })
        .post("/:id/reveal-secret", ({ team, params, actor }) => webhooks.revealSecret(ctx, team, params.id, actor), {
          team: "webhooks:write",
          params: m.WebhookIdPath,
          response: { 200: m.WebhookResponse, ...errors },
          detail: { summary: "Reveal the signing secret", description: "Answers the subscription with its current secret, for those who may change webhooks (admins, or a key that names webhooks:write); each reveal is recorded in the audit log. Lists and reads never carry the secret.", tags, security },
        })
        .post("/:id/test", ({ team, params, actor }) => webhooks.testWebhook(ctx, team, params.id, actor), {
          team: "webhooks:write",
          params: m.WebhookIdPath,
          response: { 200: m.WebhookTestResponse, ...errors },
          detail: { summary: "Send a test event", description: "Sends a signed `webhook.test` event now and reports the receiver's answer.", tags, security },
        }),
    );
