INSERT INTO p (id, name, parent_id) VALUES (1, 'one', NULL), (2, 'two', NULL);
UPDATE p SET parent_id = 2 WHERE id = 1;
INSERT INTO c (id, p_id) VALUES (10, 1), (11, 2), (12, 2);
