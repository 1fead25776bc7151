-- Exercises: the reporting tables moved to the warehouse: DROP TABLE (both report it) and
-- DROP SCHEMA ... CASCADE, which takes the materialized view and anything else in the schema
-- with it (retort reports it; Squawk 2.66 has no rule for DROP SCHEMA). No downgrade
-- section: what it drops cannot be brought back by SQL.
-- retort:revision d8826f132f82
-- retort:revises 9231d6564b8a
-- retort:message drop reporting schema

-- retort:upgrade
DROP TABLE reporting.daily_sales;
DROP SCHEMA reporting CASCADE;
