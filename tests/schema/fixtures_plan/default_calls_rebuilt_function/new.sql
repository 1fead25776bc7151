CREATE FUNCTION public.next_code() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT 7::bigint $$;
CREATE TABLE public.t (id integer PRIMARY KEY, code bigint DEFAULT public.next_code());
