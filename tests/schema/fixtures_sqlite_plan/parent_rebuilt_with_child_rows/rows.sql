INSERT INTO p (id, name) VALUES (1, 'one'), (2, 'two');
INSERT INTO c (id, p_id) VALUES (10, 1), (11, 2), (12, 2);
