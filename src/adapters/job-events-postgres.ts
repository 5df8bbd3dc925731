/**
 * The dashboard event stream's reader on the shared PostgreSQL: the window of changed jobs is
 * taken on the database's clock (the one that wrote updated_at), so a replica whose clock is
 * ahead or behind loses no change.
 */
import type { SQL } from "bun";
import type { JobEventReader, JobEventRow } from "../ports/job-changes";

type Row = {
  id: string; team_id: string; status: string; stage: string; file_name: string; total_pages: unknown; processed_pages: unknown;
  failed_pages: unknown; credits_used: unknown; deleted_at: unknown; error_message: string | null; now?: unknown;
};

const eventRow = (r: Row): JobEventRow => ({
  id: r.id, teamId: r.team_id, status: r.status, stage: r.stage, fileName: r.file_name, totalPages: Number(r.total_pages),
  processedPages: Number(r.processed_pages), failedPages: Number(r.failed_pages), creditsUsed: Number(r.credits_used),
  deletedAt: r.deleted_at === null ? null : Number(r.deleted_at), errorMessage: r.error_message,
});

export function postgresJobEventReader(sql: SQL): JobEventReader {
  return {
    async changedSince(teamIds, from, lookbackMs) {
      const [clock] = await sql`SELECT (extract(epoch FROM now()) * 1000)::int8 AS now`;
      const now = Number(clock.now);
      const rows = (await sql`
        SELECT id, team_id, status, stage, file_name, total_pages, processed_pages, failed_pages, credits_used, deleted_at, error_message
        FROM jobs WHERE team_id IN ${sql(teamIds)} AND updated_at >= ${from ?? now - lookbackMs}`) as Row[];
      return { rows: rows.map(eventRow), now };
    },
    async byId(jobId) {
      const [r] = (await sql`
        SELECT id, team_id, status, stage, file_name, total_pages, processed_pages, failed_pages, credits_used, deleted_at, error_message
        FROM jobs WHERE id = ${jobId}`) as Row[];
      return r ? eventRow(r) : null;
    },
  };
}
