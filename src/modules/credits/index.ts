/**
 * Credits: the team ledger (LeapOCR reference: /teams/{team_id}/credits/transactions), the
 * organization's balance and ledger (/organizations/{organization_id}/credits/...), and this
 * server's own balance, limit and grant routes. Granting and limits need credits:write (owners).
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { teamGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import { WorkspaceParams } from "../jobs/paging";
import { orgGuard } from "./org-guard";
import * as m from "./model";
import * as credits from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ["Credits"];
const security = [{ apiKey: [] }];

export const creditRoutes = (ctx: AppContext) =>
  new Elysia({ name: "credits" })
    .use(
      new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id/credits", name: "credits.team" })
        .use(teamGuard(ctx))
        .get("/transactions", ({ team, query }) => credits.listTransactions(ctx, [team.id], query), {
          team: "credits:read",
          params: WorkspaceParams,
          query: m.TransactionsQuery,
          response: { 200: m.TeamTransactionsResponse, ...errors },
          detail: { summary: "Team credit transactions", description: "The ledger, newest first: charges per job (consumed), grants (credit), refunds and adjustments, each with the balance after it. Filter by job id or file name (`search`), model and date range.", tags, security },
        })
        .get("/balance", ({ team }) => credits.teamBalance(ctx, team.id), {
          team: "credits:read",
          params: WorkspaceParams,
          response: { 200: m.TeamBalanceResponse, ...errors },
          detail: { summary: "Team credit balance", description: "Granted, consumed, balance, limit and what remains. No limit (the default): unlimited.", tags, security },
        })
        .put("/limit", ({ team, body, actor }) => credits.setCreditLimit(ctx, team.id, body.credit_limit, actor), {
          team: "credits:write",
          params: WorkspaceParams,
          body: m.LimitRequest,
          response: { 200: m.TeamBalanceResponse, ...errors },
          detail: { summary: "Set the team's credit limit", description: "null: unlimited. With a limit L, uploads answer 402 LESS_CREDITS once L + balance <= 0 (L = 0: grants only).", tags, security },
        })
        .post(
          "/grants",
          async ({ team, body, actor, set }) => {
            const { transaction, created } = await credits.grantCredits(ctx, team.id, body, actor);
            set.status = created ? 201 : 200;
            const balance = (await credits.ledgerOf(ctx.data, [team.id])).balance;
            return credits.toTransaction(transaction, balance, team.organizationId);
          },
          {
            team: "credits:write",
            params: WorkspaceParams,
            body: m.GrantRequest,
            response: { 200: m.TeamTransaction, 201: m.TeamTransaction, ...errors },
            detail: { summary: "Grant or adjust credits", description: "Adds a transaction to the ledger. With `idempotency_key`, a repeat answers 200 with the first transaction and grants nothing more.", tags, security },
          },
        ),
    )
    .use(
      new Elysia({ prefix: "/api/v1/organizations/:organization_id/credits", name: "credits.org" })
        .use(orgGuard(ctx))
        .get("/balance", ({ organization, team, teamIds }) => credits.orgBalance(ctx, organization.id, team.id, teamIds), {
          orgAccess: "credits:read",
          params: m.OrgParams,
          response: { 200: m.OrgBalanceResponse, ...errors },
          detail: { summary: "Organization credit balance", description: "The ledger summed over the organization's teams the caller may see (for an API key: its team).", tags, security },
        })
        .get("/transactions", ({ teamIds, query }) => credits.listTransactions(ctx, teamIds, query), {
          orgAccess: "credits:read",
          params: m.OrgParams,
          query: m.TransactionsQuery,
          response: { 200: m.OrgTransactionsResponse, ...errors },
          detail: { summary: "Organization credit transactions", description: "The ledger of the organization's teams the caller may see, newest first.", tags, security },
        }),
    );

