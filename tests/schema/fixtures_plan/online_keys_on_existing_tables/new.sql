CREATE TABLE public.parents (id integer NOT NULL, code text, CONSTRAINT parents_pkey PRIMARY KEY (id), CONSTRAINT parents_code_key UNIQUE (code) DEFERRABLE);
CREATE TABLE public.children (id integer PRIMARY KEY, parent_id integer REFERENCES public.parents (id), n integer CHECK (n > 0), note text,
  CONSTRAINT n_small CHECK (n < 1000) NOT VALID);
CREATE INDEX children_n ON public.children (n) WHERE n > 10;
CREATE TABLE public.serials (id serial PRIMARY KEY, label varchar(10));
CREATE SEQUENCE public.counter INCREMENT BY 5;
