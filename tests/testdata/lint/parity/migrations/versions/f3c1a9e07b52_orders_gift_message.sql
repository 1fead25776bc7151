-- Exercises: `manage.py sqlmigrate` output pasted whole, BEGIN and COMMIT included: retort
-- runs the migration's transaction itself, so its loader refuses the file and lint reports
-- both lines (PG305); Squawk, told that a transaction wraps the file, reports the nesting.
-- retort:revision f3c1a9e07b52
-- retort:revises d8826f132f82
-- retort:message add gift message to orders

-- retort:upgrade
BEGIN;
--
-- Add field gift_message to order
--
ALTER TABLE "orders" ADD COLUMN "gift_message" text DEFAULT '' NOT NULL;
ALTER TABLE "orders" ALTER COLUMN "gift_message" DROP DEFAULT;
COMMIT;

-- retort:downgrade
ALTER TABLE "orders" DROP COLUMN "gift_message";
