-- Exercises: Rails' schema for products, orders and line items: bigserial keys, `character
-- varying` without a limit, timestamp(6) without time zone, json, char(3), an enum type,
-- indexes and foreign keys added right after the CREATE TABLE (all on new tables; the
-- foreign key to accounts_user locks that existing table only briefly, under lock_timeout).
-- retort:revision 123bf1d2c2fe
-- retort:revises 9543fa7e4abd
-- retort:message create catalog and orders

-- retort:upgrade
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
CREATE TABLE products (
    id bigserial PRIMARY KEY,
    name character varying NOT NULL,
    price_cents integer,
    properties json,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL,
    number character varying NOT NULL,
    status order_status DEFAULT 'pending' NOT NULL,
    currency char(3) DEFAULT 'EUR' NOT NULL,
    total_cents integer,
    cancelled_at timestamp(6) without time zone,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE INDEX index_orders_on_user_id ON orders USING btree (user_id);
CREATE TABLE line_items (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL,
    product_id bigint NOT NULL,
    quantity integer DEFAULT 1 NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE INDEX index_line_items_on_order_id ON line_items USING btree (order_id);
ALTER TABLE orders ADD CONSTRAINT fk_rails_f868b47f6a FOREIGN KEY (user_id) REFERENCES accounts_user (id);
ALTER TABLE line_items ADD CONSTRAINT fk_rails_e3cb28f071 FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE line_items ADD CONSTRAINT fk_rails_11e15d5c6b FOREIGN KEY (product_id) REFERENCES products (id);

-- retort:downgrade
DROP TABLE line_items;
DROP TABLE orders;
DROP TABLE products;
DROP TYPE order_status;
