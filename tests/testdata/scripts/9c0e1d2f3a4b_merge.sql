-- retort:revision 9c0e1d2f3a4b
-- retort:revises aaaa11112222 bbbb33334444
-- retort:message merge the billing and auth branches
-- retort:upgrade
-- A merge point may run SQL of its own.
SELECT 1;
-- retort:downgrade
