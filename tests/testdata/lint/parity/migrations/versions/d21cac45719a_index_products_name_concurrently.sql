-- Exercises: CREATE INDEX CONCURRENTLY in a transactional migration (the author forgot
-- `-- retort:transaction false`): PostgreSQL refuses it inside a transaction block, and
-- `retort upgrade` refuses the file before running anything. Both tools report it.
-- retort:revision d21cac45719a
-- retort:revises 6ab579606408
-- retort:message index products name

-- retort:upgrade
CREATE INDEX CONCURRENTLY ix_products_name ON products (name);

-- retort:downgrade
DROP INDEX ix_products_name;
