-- Exercises: NOT VALID and VALIDATE in the same transactional migration (Alembic's
-- op.create_check_constraint then op.execute in one upgrade()): the ACCESS EXCLUSIVE lock of
-- the ADD CONSTRAINT is held until commit, so reads and writes of products wait for the
-- whole scan, as if NOT VALID had not been written. A real danger.
-- retort:revision d86ee2443b68
-- retort:revises 20719468d023
-- retort:message check products price is positive

-- retort:upgrade
ALTER TABLE products ADD CONSTRAINT ck_products_price_cents_positive CHECK (price_cents >= 0) NOT VALID;
ALTER TABLE products VALIDATE CONSTRAINT ck_products_price_cents_positive;

-- retort:downgrade
ALTER TABLE products DROP CONSTRAINT ck_products_price_cents_positive;
