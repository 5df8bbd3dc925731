ALTER TABLE `jobs` ADD `structured_result` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `extraction_input_tokens` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `extraction_output_tokens` integer;--> statement-breakpoint
ALTER TABLE `pages` ADD `input_tokens` integer;--> statement-breakpoint
ALTER TABLE `pages` ADD `output_tokens` integer;