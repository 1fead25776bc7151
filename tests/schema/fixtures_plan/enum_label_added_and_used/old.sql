CREATE TYPE public.status AS ENUM ('new', 'done');
CREATE TABLE public.jobs (id integer PRIMARY KEY, s public.status NOT NULL DEFAULT 'new');
CREATE VIEW public.finished AS SELECT id FROM public.jobs WHERE s = 'done';
