-- Exercises: maintenance written as a migration: REINDEX without CONCURRENTLY (both report
-- it), CLUSTER (a rewrite under ACCESS EXCLUSIVE; Squawk only reports it for PostgreSQL 19's
-- REPACK) and REFRESH MATERIALIZED VIEW without CONCURRENTLY (reads of the view wait; Squawk
-- has no rule). The dangers retort reports beyond Squawk's.
-- retort:revision 9231d6564b8a
-- retort:revises 6a2f4d5ab87e
-- retort:message reindex, cluster and refresh after the bulk import

-- retort:upgrade
REINDEX INDEX index_orders_on_user_id;
CLUSTER order_items USING index_line_items_on_order_id;
REFRESH MATERIALIZED VIEW reporting.sales_summary;

-- retort:downgrade
