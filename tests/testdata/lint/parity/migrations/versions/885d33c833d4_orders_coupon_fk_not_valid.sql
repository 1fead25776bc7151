-- Exercises: the first half of a foreign key done right: ADD CONSTRAINT ... NOT VALID checks
-- no row, so it holds its locks (orders and coupons, under retort's lock_timeout) for a moment
-- only. The next migration validates it. Neither tool reports a danger.
-- retort:revision 885d33c833d4
-- retort:revises eb196778db3b
-- retort:message add coupon to orders

-- retort:upgrade
ALTER TABLE orders ADD COLUMN coupon_id bigint;
ALTER TABLE orders ADD CONSTRAINT orders_coupon_id_fkey FOREIGN KEY (coupon_id) REFERENCES coupons (id) NOT VALID;

-- retort:downgrade
ALTER TABLE orders DROP COLUMN coupon_id;
