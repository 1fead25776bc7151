INSERT INTO t (id, amount, note) VALUES (1, '10', 'a'), (2, 'ten', 'b'), (3, NULL, 'c');
