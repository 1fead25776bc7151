CREATE TABLE public.keep (id integer PRIMARY KEY, a_name text);
