CREATE TABLE public.items (id integer PRIMARY KEY, touched timestamptz);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := now(); RETURN NEW; END $$;
CREATE TRIGGER items_touch BEFORE UPDATE ON public.items FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE FUNCTION public.score(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a * 2 $$;
CREATE VIEW public.scored AS SELECT id, public.score(id) AS s FROM public.items;
