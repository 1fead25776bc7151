CREATE FUNCTION public.half(a integer) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT a / 2.0 $$;
CREATE VIEW public.halves AS SELECT public.half(10) AS h;
CREATE VIEW public.more_halves AS SELECT h + 1 AS h1 FROM public.halves;
