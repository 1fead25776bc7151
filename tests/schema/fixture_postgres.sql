-- Every kind the schema model covers, written the way a migration history leaves them: a
-- dropped column, an enum value added BEFORE another, objects in a second schema.
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application''s own';
CREATE EXTENSION citext WITH SCHEMA public;
CREATE EXTENSION pgcrypto;

CREATE TYPE app.mood AS ENUM ('sad', 'happy');
ALTER TYPE app.mood ADD VALUE 'ok' BEFORE 'happy';
CREATE DOMAIN app.positive AS integer NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE TYPE app.address AS (street text, city text COLLATE "C");
COMMENT ON TYPE app.mood IS 'how it went';

CREATE SEQUENCE app.invoice_numbers AS integer START WITH 1000 INCREMENT BY 10 CACHE 5;

CREATE TABLE app.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    legacy text,
    email public.citext NOT NULL UNIQUE,
    name text COLLATE "C" NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    token uuid NOT NULL DEFAULT gen_random_uuid(),
    mood app.mood,
    score app.positive,
    home app.address,
    name_length integer GENERATED ALWAYS AS (length(name)) STORED
);
ALTER TABLE app.users DROP COLUMN legacy;
COMMENT ON TABLE app.users IS 'who signs in';
COMMENT ON COLUMN app.users.email IS 'unique, case-insensitive';

CREATE TABLE public.orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL,
    amount numeric(12, 2) NOT NULL,
    during tstzrange,
    invoice integer DEFAULT nextval('app.invoice_numbers'),
    CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id)
        ON DELETE CASCADE ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT orders_no_overlap EXCLUDE USING gist (during WITH &&)
) WITH (fillfactor = 80);
-- NOT VALID only holds when added to an existing table.
ALTER TABLE public.orders ADD CONSTRAINT orders_amount_check CHECK (amount >= 0) NOT VALID;
COMMENT ON CONSTRAINT orders_amount_check ON public.orders IS 'validated later';
CREATE INDEX orders_user_recent ON public.orders (user_id) INCLUDE (amount) WHERE amount > 100;
CREATE UNIQUE INDEX orders_lower_invoice ON public.orders ((invoice * 2));
CREATE INDEX "Orders By Amount" ON public.orders USING brin (amount);

CREATE TABLE public.events (
    id bigint NOT NULL,
    happened_on date NOT NULL,
    payload jsonb,
    PRIMARY KEY (id, happened_on)
) PARTITION BY RANGE (happened_on);
CREATE TABLE public.events_2024 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_rest PARTITION OF public.events DEFAULT;
CREATE INDEX events_payload ON public.events USING gin (payload);

CREATE UNLOGGED TABLE public.scratch (k text);

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END $$;
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
    RETURN a + b;
CREATE FUNCTION app.add(a numeric, b numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS 'SELECT a + b';
CREATE FUNCTION app.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c-' || 1 $$;
CREATE PROCEDURE app.archive(days integer) LANGUAGE sql AS $$ DELETE FROM public.orders WHERE id < days $$;
COMMENT ON FUNCTION app.add(integer, integer) IS 'integer addition';
ALTER TABLE public.scratch ADD COLUMN code text DEFAULT app.next_code();

CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER users_touch_off BEFORE INSERT ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.users DISABLE TRIGGER users_touch_off;
COMMENT ON TRIGGER users_touch ON app.users IS 'keeps created_at';

CREATE VIEW app.active_users AS SELECT * FROM app.users WHERE mood <> 'sad';
CREATE VIEW public.big_spenders WITH (security_barrier = true) AS
    SELECT u.email, sum(o.amount) AS total
    FROM app.active_users u JOIN public.orders o ON o.user_id = u.id GROUP BY u.email;
CREATE VIEW app.a_first AS SELECT email FROM public.big_spenders;
CREATE MATERIALIZED VIEW public.daily_totals AS
    SELECT date_trunc('day', lower(during)) AS day, sum(amount) AS total FROM public.orders GROUP BY 1;
CREATE UNIQUE INDEX daily_totals_day ON public.daily_totals (day);
COMMENT ON VIEW app.active_users IS 'not sad';

ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_own ON public.orders FOR SELECT TO PUBLIC USING (user_id > 0);
CREATE POLICY orders_insert ON public.orders AS RESTRICTIVE FOR INSERT WITH CHECK (amount < 1000000);
