#!/usr/bin/env python3
"""Writes the same revision history as a retort project and as an Alembic project.

Usage: make_history.py OUT_DIR COUNT [--shape linear|branchy] [--db URL]

OUT_DIR/retort/  retort.toml + migrations/versions/*.sql
OUT_DIR/alembic/ alembic.ini + env.py + versions/*.py
OUT_DIR/dbmate/  db/migrations/*.sql in dbmate's format (linear histories only)
OUT_DIR/floor.sql the same SQL as one script for psql or the sqlite3 shell: per revision one
                 transaction with its statement and a version-table change, the least work
                 any tool can do to apply the history
Each revision creates one small table, so applying the history does real work.
"""
import argparse
import os
import random


def rev_id(index):
    return "%012x" % ((index * 2654435761) % 0xFFFFFFFFFFFF)


def build(count, shape):
    """Returns [(id, [parents])] in creation order."""
    revisions = []
    if shape == "linear":
        for index in range(count):
            revisions.append((rev_id(index), [rev_id(index - 1)] if index else []))
        return revisions
    rng = random.Random(42)
    index = 0

    def add(parents):
        nonlocal index
        revisions.append((rev_id(index), parents))
        index += 1
        return revisions[-1][0]

    trunk = add([])
    while index + 8 < count:
        left = right = trunk
        for _ in range(1 + rng.randrange(3)):
            left = add([left])
            right = add([right])
        trunk = add([left, right])
    while index < count:
        trunk = add([trunk])
    return revisions


def write_retort(root, revisions, url):
    versions = os.path.join(root, "migrations", "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(root, "retort.toml"), "w") as out:
        out.write('[retort]\nscript_location = "migrations"\nurl = "%s"\n' % url)
    for number, (rid, parents) in enumerate(revisions):
        header = "-- retort:revision %s\n" % rid
        if parents:
            header += "-- retort:revises %s\n" % " ".join(parents)
        header += "-- retort:message step %d\n" % number
        body = "\n-- retort:upgrade\nCREATE TABLE t_%s (id INTEGER PRIMARY KEY, v TEXT);\n" % rid
        body += "\n-- retort:downgrade\nDROP TABLE t_%s;\n" % rid
        with open(os.path.join(versions, "%s_step_%d.sql" % (rid, number)), "w") as out:
            out.write(header + body)


ALEMBIC_ENV = '''from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config

def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()

def run_migrations_online():
    engine = engine_from_config(config.get_section(config.config_ini_section),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def write_alembic(root, revisions, url):
    versions = os.path.join(root, "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(root, "alembic.ini"), "w") as out:
        out.write("[alembic]\nscript_location = %s\nsqlalchemy.url = %s\n" % (root, url))
    with open(os.path.join(root, "env.py"), "w") as out:
        out.write(ALEMBIC_ENV)
    with open(os.path.join(root, "script.py.mako"), "w") as out:
        out.write("")
    for number, (rid, parents) in enumerate(revisions):
        down = "None" if not parents else (
            repr(parents[0]) if len(parents) == 1 else repr(tuple(parents)))
        with open(os.path.join(versions, "%s_step_%d.py" % (rid, number)), "w") as out:
            out.write(
                "from alembic import op\n\n"
                "revision = %r\ndown_revision = %s\nbranch_labels = None\ndepends_on = None\n\n"
                "def upgrade():\n    op.execute('CREATE TABLE t_%s (id INTEGER PRIMARY KEY, v TEXT)')\n\n"
                "def downgrade():\n    op.execute('DROP TABLE t_%s')\n" % (rid, down, rid, rid))


def write_dbmate(root, revisions):
    """dbmate orders migrations by the numeric version before the first '_' of the name and has
    no graph, so only a line of revisions converts; a merge point is refused."""
    migrations = os.path.join(root, "db", "migrations")
    os.makedirs(migrations, exist_ok=True)
    for number, (rid, parents) in enumerate(revisions):
        if len(parents) > 1:
            raise SystemExit("dbmate has no merge points: use --shape linear")
        with open(os.path.join(migrations, "%014d_step_%d.sql" % (number + 1, number)), "w") as out:
            out.write("-- migrate:up\nCREATE TABLE t_%s (id INTEGER PRIMARY KEY, v TEXT);\n\n"
                      "-- migrate:down\nDROP TABLE t_%s;\n" % (rid, rid))


def write_floor(path, revisions):
    """Linear histories only: each step moves the one version row."""
    with open(path, "w") as out:
        out.write("CREATE TABLE floor_version (version_num VARCHAR(64) NOT NULL PRIMARY KEY);\n")
        previous = None
        for rid, _parents in revisions:
            out.write("BEGIN;\nCREATE TABLE t_%s (id INTEGER PRIMARY KEY, v TEXT);\n" % rid)
            if previous is None:
                out.write("INSERT INTO floor_version (version_num) VALUES ('%s');\n" % rid)
            else:
                out.write("UPDATE floor_version SET version_num = '%s' WHERE version_num = '%s';\n"
                          % (rid, previous))
            out.write("COMMIT;\n")
            previous = rid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("count", type=int)
    parser.add_argument("--shape", default="linear", choices=["linear", "branchy"])
    parser.add_argument("--db", default="sqlite:///app.db")
    parser.add_argument("--alembic-db", default=None)
    args = parser.parse_args()
    revisions = build(args.count, args.shape)
    write_retort(os.path.join(args.out, "retort"), revisions, args.db)
    write_alembic(os.path.join(args.out, "alembic"), revisions, args.alembic_db or args.db)
    if args.shape == "linear":
        write_dbmate(os.path.join(args.out, "dbmate"), revisions)
        write_floor(os.path.join(args.out, "floor.sql"), revisions)


if __name__ == "__main__":
    main()
