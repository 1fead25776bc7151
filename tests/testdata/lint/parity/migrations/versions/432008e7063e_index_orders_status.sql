-- Exercises: Alembic's op.create_index on existing tables, in a transactional migration:
-- writes to orders and line_items wait for each build. A real danger both tools report.
-- retort:revision 432008e7063e
-- retort:revises 84809b7b409c
-- retort:message index orders status and line item products

-- retort:upgrade
CREATE INDEX ix_orders_status ON orders (status);
CREATE INDEX ix_line_items_product_id ON line_items (product_id);

-- retort:downgrade
DROP INDEX ix_line_items_product_id;
DROP INDEX ix_orders_status;
