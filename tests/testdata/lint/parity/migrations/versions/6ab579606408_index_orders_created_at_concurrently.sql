-- Exercises: CREATE INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY done right, in a
-- `transaction false` migration. retort sets lock_timeout for each statement and records in
-- the ledger how far the file got, so neither a SET lock_timeout nor IF [NOT] EXISTS is
-- needed (Squawk asks for both).
-- retort:revision 6ab579606408
-- retort:revises 432008e7063e
-- retort:message index orders created_at concurrently
-- retort:transaction false

-- retort:upgrade
CREATE INDEX CONCURRENTLY ix_orders_created_at ON orders (created_at);
DROP INDEX CONCURRENTLY index_orders_on_created_at_status;

-- retort:downgrade
CREATE INDEX CONCURRENTLY index_orders_on_created_at_status ON orders (created_at, status);
DROP INDEX CONCURRENTLY ix_orders_created_at;
