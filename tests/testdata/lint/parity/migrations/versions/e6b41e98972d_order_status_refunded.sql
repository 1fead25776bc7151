-- Exercises: ALTER TYPE ... ADD VALUE in a `transaction false` migration, then a data fix
-- that uses the new value: the value is committed before the UPDATE runs, so PostgreSQL
-- accepts it. Squawk asks for BEFORE/AFTER (appending is what was meant); retort warns that
-- the UPDATE touches every matching row in one statement.
-- retort:revision e6b41e98972d
-- retort:revises db2a679ee657
-- retort:message add refunded order status
-- retort:transaction false

-- retort:upgrade
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
UPDATE orders SET status = 'refunded' WHERE status = 'paid' AND note LIKE 'refund:%';

-- retort:downgrade
UPDATE orders SET status = 'paid' WHERE status = 'refunded';
