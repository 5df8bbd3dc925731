/** GET /api/v1/subprocessors: the external model providers this deployment sends data to. */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { apiKeyGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import { SubprocessorsResponse } from "./model";
import { listSubprocessors } from "./service";

export const subprocessorRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1", name: "subprocessors" }).use(apiKeyGuard(ctx)).get("/subprocessors", () => listSubprocessors(ctx), {
    apiKey: true,
    response: { 200: SubprocessorsResponse, 401: ErrorResponse },
    detail: {
      summary: "Subprocessors",
      description:
        "The external model providers this server sends data to, from the live model config: which steps use each, and what each receives " +
        "(page images, prompts, the user's instructions, extracted text, the schema). The offline engine sends nothing anywhere; with no model routes configured the list is empty.",
      tags: ["Deployment"],
      security: [{ apiKey: [] }],
    },
  });
