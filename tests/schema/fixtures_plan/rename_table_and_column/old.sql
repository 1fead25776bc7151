CREATE TABLE public.users (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE INDEX users_email ON public.users (email);
CREATE TABLE public.posts (id integer PRIMARY KEY, user_id integer REFERENCES public.users (id));
COMMENT ON COLUMN public.users.email IS 'login';
