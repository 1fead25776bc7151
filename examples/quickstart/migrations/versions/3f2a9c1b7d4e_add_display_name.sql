-- retort:revision 3f2a9c1b7d4e
-- retort:revises 7c8d9e0f1a2b
-- retort:message add display name to users
-- retort:estimate 2s

-- retort:upgrade
ALTER TABLE users ADD COLUMN display_name TEXT;
-- Backfill from the e-mail address; a semicolon inside a string does not end the statement.
UPDATE users SET display_name = substr(email, 1, instr(email, '@') - 1) WHERE email <> ';';

-- retort:downgrade
ALTER TABLE users DROP COLUMN display_name;
