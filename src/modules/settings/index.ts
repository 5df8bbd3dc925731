/** GET/PUT /organizations/{organization_id}/teams/{team_id}/settings, as in the LeapOCR full reference. */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { apiKeyActor, apiKeyGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import * as m from "./model";
import * as settings from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse };

export const settingsRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "settings" })
    .use(apiKeyGuard(ctx))
    .get(
      "/settings",
      ({ auth, params }) => {
        settings.assertTeamPath(ctx, auth.teamId, params.organization_id, params.team_id);
        return settings.getTeamSettings(ctx, params.team_id);
      },
      {
        apiKey: true,
        params: m.TeamPathParams,
        response: { 200: m.TeamSettingsResponse, ...errors },
        detail: { summary: "Get team settings", description: "Retention: auto delete (default on) and the retention period in days (default 7; 0 deletes right after processing).", tags: ["Team Settings"], security: [{ apiKey: [] }] },
      },
    )
    .put(
      "/settings",
      ({ auth, params, body, request, server }) => {
        settings.assertTeamPath(ctx, auth.teamId, params.organization_id, params.team_id);
        return settings.updateTeamSettings(ctx, params.team_id, body, apiKeyActor(auth, request, server));
      },
      {
        apiKey: true,
        params: m.TeamPathParams,
        body: m.UpdateTeamSettingsRequest,
        response: { 200: m.TeamSettingsResponse, ...errors },
        detail: { summary: "Update team settings", description: "Change auto delete and the retention period (0 to 365 days). Applies to jobs already finished too.", tags: ["Team Settings"], security: [{ apiKey: [] }] },
      },
    );
