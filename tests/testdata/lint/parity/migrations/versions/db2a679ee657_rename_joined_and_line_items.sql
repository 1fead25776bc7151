-- Exercises: Rails' rename_column and rename_table on tables the running application uses:
-- its queries fail until it is redeployed. Real dangers both tools report.
-- retort:revision db2a679ee657
-- retort:revises 5d3854d33be4
-- retort:message rename date_joined and line_items

-- retort:upgrade
ALTER TABLE accounts_user RENAME COLUMN date_joined TO joined_at;
ALTER TABLE line_items RENAME TO order_items;

-- retort:downgrade
ALTER TABLE order_items RENAME TO line_items;
ALTER TABLE accounts_user RENAME COLUMN joined_at TO date_joined;
