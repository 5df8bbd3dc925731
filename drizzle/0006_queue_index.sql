DROP INDEX `jobs_stage_idx`;--> statement-breakpoint
CREATE INDEX `jobs_stage_created_idx` ON `jobs` (`stage`,`created_at`);