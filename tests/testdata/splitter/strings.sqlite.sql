-- Quoted names in every SQLite style; semicolons inside them.
CREATE TABLE [odd;table] ("a;b" TEXT, `c;d` TEXT);
INSERT INTO [odd;table] VALUES ('x; -- y', 'it''s');
/* block; comment */ SELECT * FROM [odd;table];
;
PRAGMA foreign_keys = ON
