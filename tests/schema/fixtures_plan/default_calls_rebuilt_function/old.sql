CREATE FUNCTION public.next_code() RETURNS integer LANGUAGE sql VOLATILE AS $$ SELECT 7 $$;
CREATE TABLE public.t (id integer PRIMARY KEY, code integer DEFAULT public.next_code());
