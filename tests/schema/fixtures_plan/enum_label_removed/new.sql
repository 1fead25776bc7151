CREATE TYPE public.mood AS ENUM ('sad', 'happy');
CREATE TABLE public.people (id integer PRIMARY KEY, mood public.mood NOT NULL DEFAULT 'sad', past public.mood[]);
CREATE VIEW public.happy_people AS SELECT id FROM public.people WHERE mood = 'happy';
CREATE TABLE public.moods_log (id integer PRIMARY KEY, note text);
