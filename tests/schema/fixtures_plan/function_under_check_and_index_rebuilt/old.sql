CREATE FUNCTION public.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
CREATE TABLE public.people (id integer PRIMARY KEY, email text CHECK (public.norm(email) <> ''));
CREATE INDEX people_norm ON public.people (public.norm(email));
