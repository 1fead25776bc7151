-- Exercises: a squashed Django migration that adds a varchar column to an existing table and
-- then widens it. The widening, varchar(32) to varchar(64) of a column this file created, is
-- binary-coercible: no rewrite, no scan (Squawk reports changing-column-type; retort knows
-- the column's type from the ADD COLUMN above). Both warn about varchar(n).
-- retort:revision 7a842a7e3a18
-- retort:revises d21cac45719a
-- retort:message add product sku

-- retort:upgrade
ALTER TABLE "products" ADD COLUMN "sku" varchar(32) NULL;
ALTER TABLE "products" ALTER COLUMN "sku" TYPE varchar(64);

-- retort:downgrade
ALTER TABLE "products" DROP COLUMN "sku";
