-- Exercises: Alembic's op.add_column(..., nullable=False) without a server default on an
-- existing table: fails on the first row, or breaks the running application's inserts. A
-- real danger both tools report.
-- retort:revision a83c443942b6
-- retort:revises cc137892d8ac
-- retort:message add required note to orders

-- retort:upgrade
ALTER TABLE orders ADD COLUMN note text NOT NULL;

-- retort:downgrade
ALTER TABLE orders DROP COLUMN note;
