-- A leading comment; with a semicolon.
/* A block comment
   /* nested, as PostgreSQL allows; */
   still a comment; */
CREATE TABLE notes (body text DEFAULT '-- not a comment; really');

-- between statements

INSERT INTO notes VALUES (E'it\'s; escaped'); -- trailing comment
INSERT INTO notes VALUES ('it''s; doubled')  /* before the semicolon */ ;
;;
SELECT "odd;name" FROM notes
-- the end, no semicolon above
