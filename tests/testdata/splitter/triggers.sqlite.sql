CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, updated_at TEXT);

CREATE TRIGGER users_touch AFTER UPDATE ON users
BEGIN
  UPDATE users SET updated_at = datetime('now') WHERE id = NEW.id;
  INSERT INTO audit (what) VALUES ('touch; user');
END;

CREATE TRIGGER users_case BEFORE INSERT ON users
BEGIN
  SELECT CASE WHEN NEW.email NOT LIKE '%@%' THEN RAISE(ABORT, 'bad email;') END;
END;
INSERT INTO users (email) VALUES ('a@example.com')
