-- retort:revision 1a2b3c4d5e6f
-- retort:message create users

-- retort:upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- retort:downgrade
DROP TABLE users;
