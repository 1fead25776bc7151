CREATE TYPE public.status AS ENUM ('new', 'running', 'done');
CREATE TABLE public.jobs (id integer PRIMARY KEY, s public.status NOT NULL DEFAULT 'new', CONSTRAINT not_stuck CHECK (s <> 'running' OR id > 0));
CREATE VIEW public.finished AS SELECT id FROM public.jobs WHERE s = 'done';
CREATE VIEW public.active AS SELECT id FROM public.jobs WHERE s = 'running';
CREATE VIEW public.active_ids AS SELECT id FROM public.active;
COMMENT ON VIEW public.active_ids IS 'ids';
CREATE TABLE public.other (id integer PRIMARY KEY, note text);
CREATE INDEX other_note ON public.other (note);
