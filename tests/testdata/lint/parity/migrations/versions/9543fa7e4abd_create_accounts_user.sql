-- Exercises: Django's 0001_initial for a custom user model: serial key, varchar(n), an index
-- built in the same migration that creates its table (new, so empty: no finding for that).
-- Type warnings both tools give: serial (prefer identity), integer key, varchar(n).
-- retort:revision 9543fa7e4abd
-- retort:message create accounts_user

-- retort:upgrade
CREATE TABLE "accounts_user" (
    "id" serial NOT NULL PRIMARY KEY,
    "password" varchar(128) NOT NULL,
    "last_login" timestamp with time zone NULL,
    "is_superuser" boolean NOT NULL,
    "username" varchar(150) NOT NULL UNIQUE,
    "email" varchar(254) NOT NULL,
    "is_active" boolean NOT NULL,
    "date_joined" timestamp with time zone NOT NULL
);
CREATE INDEX "accounts_user_username_6821ab7c_like" ON "accounts_user" ("username" varchar_pattern_ops);

-- retort:downgrade
DROP TABLE "accounts_user" CASCADE;
