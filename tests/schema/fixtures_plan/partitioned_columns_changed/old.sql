CREATE TABLE public.events (at date NOT NULL, kind integer, payload json, note text) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ONLY public.events_2025 ALTER COLUMN note SET DEFAULT 'x';
CREATE FUNCTION public.is_positive(n bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT n > 0 $$;
CREATE TABLE public.scores (id integer PRIMARY KEY, n bigint CHECK (public.is_positive(n)));
