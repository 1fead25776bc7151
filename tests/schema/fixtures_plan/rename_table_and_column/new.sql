CREATE TABLE public.members (id integer PRIMARY KEY, mail text NOT NULL, name text);
CREATE INDEX users_email ON public.members (mail);
CREATE TABLE public.posts (id integer PRIMARY KEY, user_id integer REFERENCES public.members (id));
COMMENT ON COLUMN public.members.mail IS 'login';
