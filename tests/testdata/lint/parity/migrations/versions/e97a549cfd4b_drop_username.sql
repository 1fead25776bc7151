-- Exercises: the contract step: DROP COLUMN, accepted with `-- retort:lint-ignore` and its
-- reason (Rails' ignored_columns shipped first). Both tools find it; retort shows it as
-- accepted, with the reason, and keeps the reason in the ledger.
-- retort:revision e97a549cfd4b
-- retort:revises d054f82ddf1a
-- retort:message drop username
-- retort:lint-ignore PG204 -- the application stopped reading username in release 2024.18 (ignored_columns); the backup before this step keeps the values

-- retort:upgrade
ALTER TABLE "accounts_user" DROP COLUMN "username" CASCADE;

-- retort:downgrade
ALTER TABLE "accounts_user" ADD COLUMN "username" varchar(150) NULL;
