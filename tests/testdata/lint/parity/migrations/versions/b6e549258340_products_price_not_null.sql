-- Exercises: SET NOT NULL straight on an existing table (Rails' change_column_null): the
-- whole table is scanned under ACCESS EXCLUSIVE. A real danger both tools report.
-- retort:revision b6e549258340
-- retort:revises 201a4ec9ce9e
-- retort:message require products price

-- retort:upgrade
ALTER TABLE products ALTER COLUMN price_cents SET NOT NULL;

-- retort:downgrade
ALTER TABLE products ALTER COLUMN price_cents DROP NOT NULL;
