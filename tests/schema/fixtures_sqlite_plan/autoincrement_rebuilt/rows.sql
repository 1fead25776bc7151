INSERT INTO t (id, a) VALUES (1, 'x'), (7, 'y'); DELETE FROM t WHERE id = 7;
