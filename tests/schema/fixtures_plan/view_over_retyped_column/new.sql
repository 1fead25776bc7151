CREATE TABLE public.orders (id integer PRIMARY KEY, amount bigint NOT NULL DEFAULT 0);
CREATE VIEW public.totals AS SELECT id, amount * 2 AS doubled FROM public.orders;
CREATE VIEW public.big_totals AS SELECT id FROM public.totals WHERE doubled > 100;
COMMENT ON VIEW public.totals IS 'doubled amounts';
