CREATE TABLE public.sales (id integer PRIMARY KEY, region text, amount numeric);
CREATE VIEW public.by_region AS SELECT region, sum(amount) AS total FROM public.sales GROUP BY region;
CREATE MATERIALIZED VIEW public.region_report AS SELECT region, total FROM public.by_region;
CREATE UNIQUE INDEX region_report_region ON public.region_report (region);
COMMENT ON MATERIALIZED VIEW public.region_report IS 'per region';
