-- Exercises: Django's AddField then RunSQL backfill in one atomic migration: the ADD COLUMN's
-- ACCESS EXCLUSIVE lock on accounts_user is held while the UPDATE rewrites every row, and
-- the UPDATE is one statement over the whole table. Dangers retort reports (PG301, PG302)
-- and Squawk does not look for.
-- retort:revision 3b577d646cd7
-- retort:revises 016bcedfa1e6
-- retort:message backfill user display names

-- retort:upgrade
ALTER TABLE "accounts_user" ADD COLUMN "display_name" varchar(150) NULL;
UPDATE "accounts_user" SET "display_name" = "username" WHERE "display_name" IS NULL;

-- retort:downgrade
ALTER TABLE "accounts_user" DROP COLUMN "display_name";
