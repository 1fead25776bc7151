-- Exercises: ADD CONSTRAINT ... UNIQUE on an existing table (Django's unique=True on an
-- existing field): the unique index is built under ACCESS EXCLUSIVE. Both report it.
-- retort:revision 22dcadd37ccb
-- retort:revises b6e549258340
-- retort:message make order numbers unique

-- retort:upgrade
ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE (number);

-- retort:downgrade
ALTER TABLE orders DROP CONSTRAINT orders_number_key;
