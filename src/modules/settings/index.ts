/** GET/PUT /organizations/{organization_id}/teams/{team_id}/settings, as in the LeapOCR full reference. */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { teamGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import * as m from "./model";
import * as settings from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

export const settingsRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "settings" })
    .use(teamGuard(ctx))
    .get(
      "/settings",
      ({ team }) => settings.getTeamSettings(ctx, team.id),
      {
        team: "settings:read",
        params: m.TeamPathParams,
        response: { 200: m.TeamSettingsResponse, ...errors },
        detail: { summary: "Get team settings", description: "Retention: auto delete (default on) and the retention period in days (default 7; 0 deletes right after processing).", tags: ["Team Settings"], security: [{ apiKey: [] }] },
      },
    )
    .put(
      "/settings",
      ({ team, body, actor }) => settings.updateTeamSettings(ctx, team.id, body, actor),
      {
        team: "settings:write",
        params: m.TeamPathParams,
        body: m.UpdateTeamSettingsRequest,
        response: { 200: m.TeamSettingsResponse, ...errors },
        detail: { summary: "Update team settings", description: "Change auto delete and the retention period (0 to 365 days). Applies to jobs already finished too.", tags: ["Team Settings"], security: [{ apiKey: [] }] },
      },
    );
