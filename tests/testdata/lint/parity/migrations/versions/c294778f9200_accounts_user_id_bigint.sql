-- Exercises: Django's DEFAULT_AUTO_FIELD = BigAutoField migration: integer to bigint of a
-- primary key and of the columns referencing it rewrites each table and its indexes under
-- ACCESS EXCLUSIVE. Real dangers both tools report.
-- retort:revision c294778f9200
-- retort:revises 3b577d646cd7
-- retort:message accounts_user id to bigint

-- retort:upgrade
ALTER TABLE "accounts_user" ALTER COLUMN "id" TYPE bigint USING "id"::bigint;
ALTER SEQUENCE IF EXISTS "accounts_user_id_seq" AS bigint;
ALTER TABLE "coupons" ALTER COLUMN "created_by_id" TYPE bigint USING "created_by_id"::bigint;
ALTER TABLE "webhooks" ALTER COLUMN "owner_id" TYPE bigint USING "owner_id"::bigint;

-- retort:downgrade
ALTER TABLE "webhooks" ALTER COLUMN "owner_id" TYPE integer USING "owner_id"::integer;
ALTER TABLE "coupons" ALTER COLUMN "created_by_id" TYPE integer USING "created_by_id"::integer;
ALTER SEQUENCE IF EXISTS "accounts_user_id_seq" AS integer;
ALTER TABLE "accounts_user" ALTER COLUMN "id" TYPE integer USING "id"::integer;
