CREATE TABLE `team_credits` (
	`team_id` text PRIMARY KEY NOT NULL,
	`credit_limit` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `templates` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`user_id` text,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`description` text,
	`format` text NOT NULL,
	`model` text NOT NULL,
	`instructions` text,
	`schema_json` text,
	`extract_bounding_boxes` integer DEFAULT false NOT NULL,
	`tags_json` text DEFAULT '[]' NOT NULL,
	`color` text,
	`favorite` integer DEFAULT false NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`usage_count` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `templates_team_slug_idx` ON `templates` (`team_id`,`slug`);--> statement-breakpoint
CREATE INDEX `templates_team_created_idx` ON `templates` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`subscription_id` text NOT NULL,
	`team_id` text NOT NULL,
	`job_id` text,
	`payload_json` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`locked_until` integer,
	`last_status_code` integer,
	`last_error` text,
	`delivered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_sub_idx` ON `webhook_deliveries` (`subscription_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_job_idx` ON `webhook_deliveries` (`job_id`);--> statement-breakpoint
CREATE TABLE `webhook_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`user_id` text,
	`url` text NOT NULL,
	`description` text,
	`events_json` text NOT NULL,
	`secret` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`include_results` integer DEFAULT false NOT NULL,
	`failure_count` integer DEFAULT 0 NOT NULL,
	`disabled_reason` text,
	`last_triggered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_subs_team_idx` ON `webhook_subscriptions` (`team_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `credit_transactions` ADD `idempotency_key` text;--> statement-breakpoint
ALTER TABLE `credit_transactions` ADD `metadata_json` text;--> statement-breakpoint
CREATE UNIQUE INDEX `credit_tx_idempotency_idx` ON `credit_transactions` (`team_id`,`idempotency_key`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `template_id` text;