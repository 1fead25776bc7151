CREATE TYPE public.status AS ENUM ('new', 'running', 'done');
CREATE TABLE public.jobs (id integer PRIMARY KEY, s public.status NOT NULL DEFAULT 'running');
CREATE VIEW public.finished AS SELECT id FROM public.jobs WHERE s = 'done';
CREATE VIEW public.active AS SELECT id FROM public.jobs WHERE s = 'running';
