CREATE TABLE public.t (id integer PRIMARY KEY, a integer, b text);
CREATE VIEW public.base AS SELECT id, a, b, a * 2 AS a2 FROM public.t WHERE a > 0;
CREATE VIEW public.reader AS SELECT id FROM public.base;
CREATE MATERIALIZED VIEW public.snapshot AS SELECT id, a FROM public.base;
CREATE INDEX snapshot_a ON public.snapshot (a);
CREATE FUNCTION public.count_base() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM public.reader; END;
COMMENT ON VIEW public.reader IS 'reads base';
COMMENT ON COLUMN public.base.a IS 'the a';
