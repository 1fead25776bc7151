CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();  -- a ';' inside the body
  RETURN NEW;
END;
$$;

DO $body$
DECLARE
  n int;
BEGIN
  SELECT count(*) INTO n FROM users;
  RAISE NOTICE 'users: %; done', n;
END
$body$;

CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
  AS $fn$ SELECT $1 + $2; $fn$;
SELECT $q$it's; not the end$q$ AS text;
