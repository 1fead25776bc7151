CREATE TABLE public.parents (id integer NOT NULL, code text);
CREATE TABLE public.children (id integer PRIMARY KEY, parent_id integer, n integer, note text);
CREATE INDEX children_note ON public.children (note);
CREATE SEQUENCE public.counter;
CREATE TABLE public.serials (id serial PRIMARY KEY, label varchar(20));
COMMENT ON INDEX public.children_note IS 'notes';
