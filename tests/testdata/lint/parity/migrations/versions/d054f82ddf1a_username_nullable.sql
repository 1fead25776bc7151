-- Exercises: DROP NOT NULL, the expand step before a column is removed (the application
-- stops writing it next): a catalog change under a brief lock, bounded by retort's
-- lock_timeout. Squawk bans it; retort does not report it.
-- retort:revision d054f82ddf1a
-- retort:revises c294778f9200
-- retort:message make username nullable

-- retort:upgrade
ALTER TABLE "accounts_user" ALTER COLUMN "username" DROP NOT NULL;

-- retort:downgrade
ALTER TABLE "accounts_user" ALTER COLUMN "username" SET NOT NULL;
