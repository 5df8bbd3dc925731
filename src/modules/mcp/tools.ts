/**
 * The MCP tools' inputs: valibot schemas (validation) from which each tool's JSON Schema is
 * generated, and descriptions written for a model choosing and calling a tool.
 */
import * as v from "valibot";
import { toJsonSchema } from "@valibot/to-json-schema";

const jobId = v.pipe(v.string(), v.uuid("job_id must be the UUID a read_document call returned"), v.description("The job id returned by read_document."));
const firstPage = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1);
const maxPages = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(50)), 10);

export const ReadDocumentInput = v.object({
  url: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(2000), v.description("An http(s) URL the server downloads the document from. Give either url, or content_base64 with file_name."))),
  content_base64: v.optional(v.pipe(v.string(), v.minLength(1), v.description("The document's bytes, base64-encoded (PDF, PNG, JPEG, TIFF, WebP...). For large files prefer a url."))),
  file_name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255), v.description("The file's name, e.g. invoice.pdf (needed with content_base64)."))),
  // No default here: a template_slug decides the format when none is given (the API defaults to markdown).
  format: v.optional(v.pipe(v.picklist(["markdown", "structured"]), v.description("markdown (default) or structured (one JSON object for the whole document, with schema or a template)."))),
  schema: v.optional(v.pipe(v.record(v.string(), v.unknown()), v.description("format structured: a JSON Schema of the object to extract from the whole document."))),
  template_slug: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("A saved template of this team (see list_templates): its format, model, instructions and schema apply."))),
  instructions: v.optional(v.pipe(v.string(), v.maxLength(100), v.description("Short extra instructions for the model (at most 100 characters)."))),
  model: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("A model name from list_models; the server's default when left out."))),
  first_page: v.pipe(firstPage, v.description("First page of the result to return (the whole document is read and charged).")),
  max_pages: v.pipe(maxPages, v.description("How many pages of the result to return at most (1-50, default 10); get more with job_result.")),
  wait_seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(120), v.description("How long to wait for the result (0-120, default 60). If the job is not done by then, its job_id is returned: poll job_status, then job_result.")), 60),
});
export type ReadDocumentInput = v.InferOutput<typeof ReadDocumentInput>;

export const JobIdInput = v.object({ job_id: jobId });

export const JobResultInput = v.object({
  job_id: jobId,
  first_page: v.pipe(firstPage, v.description("First page to return (default 1).")),
  max_pages: v.pipe(maxPages, v.description("How many pages to return at most (1-50, default 10).")),
});

export const ListTemplatesInput = v.object({
  search: v.optional(v.pipe(v.string(), v.maxLength(255), v.description("Part of the template's name."))),
  format: v.optional(v.picklist(["markdown", "structured"])),
});

export const GetTemplateInput = v.object({
  slug: v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("The template's slug (as list_templates shows it).")),
});

export const EmptyInput = v.object({});

type Schema = v.GenericSchema;

export interface ToolSpec {
  name: string;
  description: string;
  input: Schema;
  readOnly: boolean;
}

export const TOOLS: ToolSpec[] = [
  {
    name: "read_document",
    description:
      "Read a document (PDF or image) with OCR and return its text as markdown, page by page, or one structured JSON object extracted from it (format structured, with a JSON schema or a template_slug). Give a url, or content_base64 with file_name. Waits up to wait_seconds; if the job is still running then, answers its job_id to poll with job_status and fetch with job_result. Each page's text is headed by its page number, so cite pages from it. Uses the team's credits.",
    input: ReadDocumentInput,
    readOnly: false,
  },
  {
    name: "job_status",
    description: "Status of a read_document job: pending, processing, completed or failed, with pages processed so far and any error.",
    input: JobIdInput,
    readOnly: true,
  },
  {
    name: "job_result",
    description:
      "The result of a finished job, a few pages at a time (first_page, max_pages) so a long document does not flood the context. Each page is headed with its page number; the answer says which call gives the next pages.",
    input: JobResultInput,
    readOnly: true,
  },
  {
    name: "list_models",
    description: "The OCR models this server offers, their credits per page, and whether they can do structured extraction.",
    input: EmptyInput,
    readOnly: true,
  },
  {
    name: "list_templates",
    description: "The team's saved extraction templates (name, slug, format, description). Pass a slug to read_document's template_slug to use one.",
    input: ListTemplatesInput,
    readOnly: true,
  },
  {
    name: "get_template",
    description: "One template by slug, with its format, model, instructions and JSON schema.",
    input: GetTemplateInput,
    readOnly: true,
  },
  {
    name: "delete_job",
    description: "Delete a job and all its data (uploaded file, page images, results) at once. Status and result then answer not found.",
    input: JobIdInput,
    readOnly: false,
  },
];

/** The MCP tool list: JSON Schema inputs generated from the valibot schemas above. */
export function toolList() {
  return TOOLS.map((t) => {
    const schema = toJsonSchema(t.input as Parameters<typeof toJsonSchema>[0], { errorMode: "ignore" }) as Record<string, unknown>;
    delete schema.$schema;
    return {
      name: t.name,
      description: t.description,
      inputSchema: { ...schema, type: "object" as const },
      annotations: { readOnlyHint: t.readOnly, destructiveHint: t.name === "delete_job", openWorldHint: t.name === "read_document" },
    };
  });
}
