-- Exercises: SET NOT NULL done right, in a `transaction false` migration: a NOT VALID check,
-- validated in its own statement (its own transaction), lets SET NOT NULL skip the scan; the
-- check is dropped after. Each statement runs alone under retort's lock_timeout and the
-- ledger resumes the file where it stopped. Neither tool reports a danger.
-- retort:revision 201a4ec9ce9e
-- retort:revises d86ee2443b68
-- retort:message make orders total_cents not null
-- retort:transaction false

-- retort:upgrade
ALTER TABLE orders ADD CONSTRAINT orders_total_cents_not_null CHECK (total_cents IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_cents_not_null;
ALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_total_cents_not_null;

-- retort:downgrade
ALTER TABLE orders ALTER COLUMN total_cents DROP NOT NULL;
