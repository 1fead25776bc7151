CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);

CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id bigint REFERENCES users (id)
);
INSERT INTO users VALUES (1, 'a@example.com'); INSERT INTO users VALUES (2, 'b@example.com');

ALTER TABLE users ADD COLUMN name text
