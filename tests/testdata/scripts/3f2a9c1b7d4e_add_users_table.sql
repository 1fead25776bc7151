-- retort:revision 3f2a9c1b7d4e
-- retort:revises 9c0e1d2f3a4b
-- retort:message add users table
-- retort:branch_labels auth
-- retort:depends_on 1a2b3c4d5e6f
-- retort:estimate 90s
-- retort:lock_timeout 500ms
-- retort:statement_timeout 5m

-- Free comments and blank lines are allowed in the header.

-- retort:upgrade
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);

-- retort:downgrade
DROP TABLE users;
