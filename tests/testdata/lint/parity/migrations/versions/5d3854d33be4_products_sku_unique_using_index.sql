-- Exercises: a unique constraint done right: the index built concurrently, then attached with
-- UNIQUE USING INDEX (a catalog change), in a `transaction false` migration. Neither tool
-- reports a danger.
-- retort:revision 5d3854d33be4
-- retort:revises 22dcadd37ccb
-- retort:message make product skus unique
-- retort:transaction false

-- retort:upgrade
CREATE UNIQUE INDEX CONCURRENTLY products_sku_key ON products (sku);
ALTER TABLE products ADD CONSTRAINT products_sku_key UNIQUE USING INDEX products_sku_key;

-- retort:downgrade
ALTER TABLE products DROP CONSTRAINT products_sku_key;
