CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE TABLE `credit_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`job_id` text,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credit_tx_job_charge_idx` ON `credit_transactions` (`job_id`,`kind`);--> statement-breakpoint
CREATE INDEX `credit_tx_team_idx` ON `credit_transactions` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`api_key_id` text,
	`status` text NOT NULL,
	`stage` text NOT NULL,
	`file_name` text NOT NULL,
	`declared_content_type` text,
	`declared_size` integer,
	`detected_type` text,
	`size_bytes` integer,
	`source` text NOT NULL,
	`source_url` text,
	`format` text NOT NULL,
	`model` text NOT NULL,
	`instructions` text,
	`schema_json` text,
	`template_slug` text,
	`extract_bounding_boxes` integer DEFAULT false NOT NULL,
	`upload_id` text,
	`upload_parts` integer,
	`upload_expires_at` integer,
	`total_pages` integer DEFAULT 0 NOT NULL,
	`processed_pages` integer DEFAULT 0 NOT NULL,
	`failed_pages` integer DEFAULT 0 NOT NULL,
	`credits_used` integer DEFAULT 0 NOT NULL,
	`error_message` text,
	`lease_owner` text,
	`lease_expires_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`deleted_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `jobs_team_created_idx` ON `jobs` (`team_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_stage_idx` ON `jobs` (`stage`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `pages` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`page_number` integer NOT NULL,
	`status` text NOT NULL,
	`result` text,
	`confidence` real,
	`width` integer,
	`height` integer,
	`bounding_boxes_json` text,
	`route` text,
	`error_message` text,
	`lease_owner` text,
	`lease_expires_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pages_job_page_idx` ON `pages` (`job_id`,`page_number`);--> statement-breakpoint
CREATE INDEX `pages_status_idx` ON `pages` (`status`);--> statement-breakpoint
CREATE TABLE `server_secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
