INSERT INTO t (id, a) VALUES (1, 1), (2, 2);
