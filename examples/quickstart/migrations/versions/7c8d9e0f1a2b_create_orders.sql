-- retort:revision 7c8d9e0f1a2b
-- retort:revises 1a2b3c4d5e6f
-- retort:message create orders

-- retort:upgrade
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
);
CREATE INDEX orders_user_id_idx ON orders (user_id);

-- retort:downgrade
DROP INDEX orders_user_id_idx;
DROP TABLE orders;
