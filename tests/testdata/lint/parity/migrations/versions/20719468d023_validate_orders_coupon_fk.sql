-- Exercises: the second half: VALIDATE CONSTRAINT in a transaction of its own takes SHARE
-- UPDATE EXCLUSIVE on orders (reads and writes go on) and ROW SHARE on coupons while it
-- scans. Neither tool reports a danger.
-- retort:revision 20719468d023
-- retort:revises 885d33c833d4
-- retort:message validate orders coupon foreign key

-- retort:upgrade
ALTER TABLE orders VALIDATE CONSTRAINT orders_coupon_id_fkey;

-- retort:downgrade
