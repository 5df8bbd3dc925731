CREATE TABLE `polar_events` (
	`webhook_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`order_id` text,
	`product_id` text,
	`team_id` text,
	`credit_transaction_id` text,
	`received_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `polar_events_order_idx` ON `polar_events` (`order_id`);