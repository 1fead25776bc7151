CREATE TABLE public.a (id serial PRIMARY KEY, name text UNIQUE);
CREATE TABLE public.b (id integer PRIMARY KEY, a_id integer REFERENCES public.a (id));
CREATE TABLE public.c (id integer PRIMARY KEY, b_id integer REFERENCES public.b (id) ON DELETE CASCADE);
CREATE TABLE public.keep (id integer PRIMARY KEY, a_name text REFERENCES public.a (name));
CREATE INDEX c_b ON public.c (b_id);
COMMENT ON TABLE public.a IS 'the a';
COMMENT ON COLUMN public.b.a_id IS 'points at a';
