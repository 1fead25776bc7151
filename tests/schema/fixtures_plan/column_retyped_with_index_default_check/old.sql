CREATE TABLE public.t (id integer PRIMARY KEY, code varchar(5) NOT NULL DEFAULT 'x' CHECK (length(code) > 0));
CREATE INDEX t_code ON public.t (code);
CREATE FUNCTION public.code_of(t public.t) RETURNS text LANGUAGE sql STABLE AS $$ SELECT t.code $$;
