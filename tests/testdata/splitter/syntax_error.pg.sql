CREATE TABLE a (id int);

-- the third statement is broken
CREATE TABLE b (id int);
CREATE TABLE c (id int,);
CREATE TABLE d (id int);
