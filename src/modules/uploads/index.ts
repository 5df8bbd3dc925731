/**
 * The part PUT of the direct-upload flow when files are kept on local disk: the URL carries an
 * HMAC signature and an expiry in place of an API key, as a bucket's presigned URL would.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { LocalStorage, UPLOAD_PART_ROUTE } from "../../adapters/storage-local";
import { StorageError } from "../../ports/storage";
import { ApiError, badRequest, forbidden, notFound, payloadTooLarge } from "../../lib/errors";
import { readAtMost } from "../../lib/read-body";
import { ErrorResponse } from "../ocr/model";

export const uploadRoutes = (ctx: AppContext) =>
  new Elysia({ name: "uploads" }).put(
    `${UPLOAD_PART_ROUTE}/:upload_id/parts/:part_number`,
    async ({ params, query, request, set }) => {
      const storage = ctx.storage;
      if (!(storage instanceof LocalStorage)) throw notFound("Uploads go directly to the bucket on this server.");
      const partNumber = Number(params.part_number);
      const maxBytes = Number(query.size);
      try {
        storage.verifyPartSignature(params.upload_id, partNumber, Number(query.expires), maxBytes, query.signature ?? "", ctx.clock());
      } catch (err) {
        if (err instanceof StorageError) throw forbidden(err.message);
        throw err;
      }
      // The URL signs the part's share of the declared file_size: nothing bigger is read or stored.
      const tooLarge = () => payloadTooLarge(`Part ${partNumber} may carry at most ${maxBytes} bytes (its share of the file_size given when the upload started).`);
      const declared = Number(request.headers.get("content-length") ?? "0");
      if (declared > maxBytes) throw tooLarge();
      const bytes = await readAtMost(request, maxBytes);
      if (!bytes) throw tooLarge();
      if (bytes.length === 0) throw badRequest("The part is empty.");
      try {
        set.headers.etag = await storage.writePart(params.upload_id, partNumber, bytes);
      } catch (err) {
        if (err instanceof StorageError) throw new ApiError(404, "NOT_FOUND", err.message);
        throw err;
      }
      return "";
    },
    {
      // Raw bytes of any content type: never parse the body.
      parse: "none",
      params: v.object({ upload_id: v.string(), part_number: v.pipe(v.string(), v.regex(/^[1-9]\d{0,4}$/, "part_number must be 1 or more")) }),
      query: v.object({ expires: v.optional(v.string()), size: v.optional(v.string()), signature: v.optional(v.string()) }),
      response: { 200: v.string(), 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse },
      detail: {
        summary: "Upload one part (signed URL)",
        description: "Target of the `upload_url`s from /ocr/uploads/direct when files are stored on local disk. Needs no API key: the URL's `expires` and `signature` authorise it. Answers an `ETag` header. A part larger than its share of the declared `file_size` (`end_byte - start_byte + 1`) answers 413.",
        tags: ["SDK"],
        security: [],
      },
    },
  );
