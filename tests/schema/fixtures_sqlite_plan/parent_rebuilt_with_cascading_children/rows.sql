INSERT INTO p (id, name) VALUES (1, 'one'), (2, 'two');
INSERT INTO c (id, p_id) VALUES (10, 1), (11, 2);
INSERT INTO g (id, c_id) VALUES (100, 10), (101, 11);
