-- Exercises: Alembic's op.drop_index without CONCURRENTLY (reads and writes of orders wait
-- behind its ACCESS EXCLUSIVE lock) and a TRUNCATE ... CASCADE of the old webhook queue (the
-- rows, and those of any table referencing it, are gone). Real dangers both tools report.
-- retort:revision 6a2f4d5ab87e
-- retort:revises e97a549cfd4b
-- retort:message retire webhooks v1 and the orders status index

-- retort:upgrade
DROP INDEX ix_orders_status;
TRUNCATE TABLE webhooks RESTART IDENTITY CASCADE;

-- retort:downgrade
CREATE INDEX ix_orders_status ON orders (status);
