-- Exercises: a pg_dump --schema-only excerpt pasted as a migration. Its header sets
-- lock_timeout = 0, which turns off the lock_timeout retort sets, so the CREATE INDEX on the
-- existing orders table below may queue every query of orders behind it (retort: PG110 and
-- PG101; Squawk sees `SET lock_timeout` and is satisfied). The reporting tables are new.
-- retort:revision 84809b7b409c
-- retort:revises 123bf1d2c2fe
-- retort:message import reporting schema from the analytics database

-- retort:upgrade
--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE SCHEMA reporting;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE reporting.daily_sales (
    day date NOT NULL,
    orders_count integer NOT NULL,
    revenue_cents bigint NOT NULL
);

ALTER TABLE ONLY reporting.daily_sales
    ADD CONSTRAINT daily_sales_pkey PRIMARY KEY (day);

CREATE MATERIALIZED VIEW reporting.sales_summary AS
 SELECT date_trunc('month'::text, orders.created_at) AS month,
    count(*) AS orders_count,
    sum(orders.total_cents) AS revenue_cents
   FROM public.orders
  GROUP BY (date_trunc('month'::text, orders.created_at))
  WITH NO DATA;

CREATE INDEX index_orders_on_created_at_status ON public.orders USING btree (created_at, status);

-- retort:downgrade
DROP INDEX public.index_orders_on_created_at_status;
DROP SCHEMA reporting CASCADE;
