-- Exercises: ADD COLUMN with a volatile default (gen_random_uuid(): the table is rewritten
-- under an exclusive lock; both report it) next to Rails' `default: false, null: false`, a
-- constant default that PostgreSQL 11 and later store in the catalog (neither reports it).
-- retort:revision eb196778db3b
-- retort:revises a83c443942b6
-- retort:message add public id to users, gift wrap to orders

-- retort:upgrade
ALTER TABLE accounts_user ADD COLUMN public_id uuid DEFAULT gen_random_uuid() NOT NULL;
ALTER TABLE orders ADD COLUMN gift_wrap boolean DEFAULT false NOT NULL;

-- retort:downgrade
ALTER TABLE orders DROP COLUMN gift_wrap;
ALTER TABLE accounts_user DROP COLUMN public_id;
