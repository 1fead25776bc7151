INSERT INTO k (name, n) VALUES ('a', 1); INSERT INTO g (id, a) VALUES (1, 2);
