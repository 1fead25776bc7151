-- Exercises: ADD VALUE and a use of the new value in one transactional migration: PostgreSQL
-- refuses the UPDATE ("unsafe use of new value"), so this file fails at run time. A real
-- danger retort reports (PG304) and Squawk does not; both also note something else.
-- retort:revision 016bcedfa1e6
-- retort:revises e6b41e98972d
-- retort:message add cancelled order status

-- retort:upgrade
ALTER TYPE order_status ADD VALUE 'cancelled';
UPDATE orders SET status = 'cancelled' WHERE cancelled_at IS NOT NULL;

-- retort:downgrade
UPDATE orders SET status = 'pending' WHERE status = 'cancelled';
