CREATE TYPE public.mood AS ENUM ('sad', 'meh', 'happy');
CREATE TABLE public.people (id integer PRIMARY KEY, mood public.mood NOT NULL DEFAULT 'sad', past public.mood[]);
CREATE VIEW public.happy_people AS SELECT id FROM public.people WHERE mood = 'happy';
CREATE TABLE public.moods_log (id integer PRIMARY KEY, was public.mood, note text);
