CREATE RULE log_delete AS ON DELETE TO notes DO ALSO (
  INSERT INTO audit VALUES (old.id);
  INSERT INTO audit_count VALUES (1)
);
CREATE INDEX CONCURRENTLY notes_body ON notes (body);
