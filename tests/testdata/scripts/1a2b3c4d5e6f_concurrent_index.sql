-- retort:revision 1a2b3c4d5e6f
-- retort:message index users by email
-- retort:transaction false
-- retort:lint-ignore PG104 -- built during the maintenance window, users is small
-- retort:lint-ignore PG201 PG202 -- reviewed with the DBA team

-- retort:upgrade
CREATE INDEX CONCURRENTLY users_email ON users (email);
