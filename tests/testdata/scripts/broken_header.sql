-- retort:revision 77aa
-- retort:revisions 66bb
-- retort:message a broken file
-- retort:message twice
-- retort:transaction off
-- retort:estimate ages
-- retort:lint-ignore PG101
CREATE TABLE too_early (id int);
-- retort:downgrade
DROP TABLE too_early;
-- retort:upgrade
-- retort:estimate 4h
-- retort:upgrade
