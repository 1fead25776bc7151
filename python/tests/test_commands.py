"""The commands in-process on SQLite and PostgreSQL: the same effect as the CLI's, results
instead of printing, and the exceptions with their fields."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import retort
from conftest import Postgres, run_cli, tables, retort_binary

MakeProject = Callable[..., tuple[Path, list[str]]]


def snapshot(url: str, postgres: Postgres | None) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """What a user checks: the tables, the version table's rows, the ledger's (revision,
    direction) in order."""
    if postgres is None:
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            names = [row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't%' ORDER BY name")]
            version = [row[0] for row in db.execute("SELECT version_num FROM retort_version ORDER BY 1")]
            ledger = [(row[0], row[1]) for row in db.execute(
                "SELECT revision, direction FROM retort_log WHERE status = 'ok' ORDER BY id")]
        return names, version, ledger
    database = url.rsplit("/", 1)[1]
    names = postgres.psql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                          "AND tablename LIKE 't%' ORDER BY 1").split()
    version = postgres.psql(database, "SELECT version_num FROM retort_version ORDER BY 1").split()
    ledger = [tuple(line.split("|")) for line in postgres.psql(
        database, "SELECT revision, direction FROM retort_log WHERE status = 'ok' ORDER BY id"
    ).split()]
    return names, version, ledger  # type: ignore[return-value]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Callable[[], tuple[str, Postgres | None]]:
    def new_url(path: Path | None = None) -> tuple[str, Postgres | None]:
        if request.param == "sqlite":
            return "", None
        postgres: Postgres = request.getfixturevalue("postgres")
        return postgres.url(postgres.create_database()), postgres

    return new_url  # type: ignore[return-value]


def test_commands_have_the_cli_effect(make_project: MakeProject, backend: Any) -> None:
    url, postgres = backend()
    py_root, ids = make_project(url or None, tables(3), "python")
    url2, _ = backend()
    cli_root, _ = make_project(url2 or None, tables(3), "cli")
    py_url = url or f"sqlite:///{py_root / 'app.db'}"
    cli_url = url2 or f"sqlite:///{cli_root / 'app.db'}"
    cfg = retort.Config(py_root / "retort.toml")

    assert retort.pending(cfg) == ids
    assert [head.revision for head in retort.command.heads(cfg)] == [ids[-1]]
    assert [rev.revision for rev in retort.command.history(cfg)] == ids[::-1]
    assert not retort.command.check(cfg).ok

    result = retort.command.upgrade(cfg, "head")
    assert [step.revision for step in result.applied] == ids
    assert all(step.direction == "upgrade" and step.duration_ms >= 0 for step in result.steps)
    assert result.heads_before == [] and result.heads_after == [ids[-1]]
    current = retort.command.current(cfg)
    assert current.heads == [ids[-1]] and current.up_to_date and current.pending == []
    assert retort.pending(cfg) == []
    assert retort.command.check(cfg).ok
    assert retort.command.upgrade(cfg, "head").steps == []

    down = retort.command.downgrade(cfg, "-1")
    assert [(s.revision, s.direction) for s in down.applied] == [(ids[-1], "downgrade")]
    stamped = retort.command.stamp(cfg, ids[0], reason="by hand")
    assert stamped.heads_after == [ids[0]]
    assert retort.command.current(cfg).pending == ids[1:]

    for args in (["upgrade", "head"], ["downgrade", "-1"], ["stamp", ids[0], "--reason", "by hand"]):
        done = run_cli(cli_root, *args)
        assert done.returncode == 0, done.stderr
    assert snapshot(py_url, postgres) == snapshot(cli_url, postgres)
    assert snapshot(py_url, postgres)[1] == [ids[0]]


def test_offline_sql_is_returned_not_printed(make_project: MakeProject, capfd: pytest.CaptureFixture[str]) -> None:
    root, ids = make_project(None, tables(2))
    result = retort.command.upgrade(retort.Config(root / "retort.toml"), "head", sql=True)
    assert "CREATE TABLE t2" in result.sql and ids[1] in result.sql
    assert capfd.readouterr() == ("", "")
    assert not (root / "app.db").exists() or retort.pending(retort.Config(root / "retort.toml")) == ids


def test_failing_migration_raises_migration_error(make_project: MakeProject, postgres: Postgres) -> None:
    url = postgres.url(postgres.create_database())
    root, ids = make_project(url, tables(1) + [("CREATE TABLE t1 (id integer);", "SELECT 1;", "")])
    cfg = retort.Config(root / "retort.toml")
    with pytest.raises(retort.MigrationError) as caught:
        retort.command.upgrade(cfg, "head")
    error = caught.value
    assert isinstance(error, retort.Error) and isinstance(error, retort.CommandError)
    assert error.exit_code == 1
    assert error.sqlstate == "42P07"
    assert error.file is not None and error.file.endswith(f"{ids[1]}_step_2.sql")
    assert error.line == 6  # the statement, below `-- retort:upgrade`
    assert error.next_command
    assert "42P07" in str(error) and "already exists" in str(error)
    assert retort.command.current(cfg).heads == [ids[0]]  # the first step stays, the second rolled back


def test_bad_configuration_is_a_value_error(tmp_path: Path) -> None:
    (tmp_path / "retort.toml").write_text('[retort]\nscript_location = "m"\nurl = "sqlite:///x.db"\nlock_timeot = "1s"\n')
    with pytest.raises(ValueError) as caught:
        retort.Config(tmp_path / "retort.toml")
    error = caught.value
    assert isinstance(error, retort.ConfigError) and error.exit_code == 2
    assert error.file is not None and error.file.endswith("retort.toml") and error.line == 4
    with pytest.raises(retort.ConfigError):
        retort.Config(tmp_path / "retort.toml", url="sqlite:///x.db", lock_timeout="soon")
    root = tmp_path / "p"
    with pytest.raises(retort.ConfigError):
        retort.Config(root / "missing.toml")


def test_unknown_target_is_a_config_error(make_project: MakeProject) -> None:
    root, _ = make_project(None, tables(1))
    with pytest.raises(retort.ConfigError) as caught:
        retort.command.upgrade(retort.Config(root / "retort.toml"), "nosuchrev")
    assert "nosuchrev" in str(caught.value)


def test_held_lock_raises_lock_busy(make_project: MakeProject, postgres: Postgres) -> None:
    url = postgres.url(postgres.create_database())
    root, _ = make_project(url, [("SELECT pg_sleep(4);", "SELECT 1;", "")] + tables(1))
    holder = subprocess.Popen([retort_binary(), "upgrade", "head"], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while "pg_sleep" not in postgres.psql("postgres", "SELECT string_agg(query, ' ') FROM pg_stat_activity"):
            assert time.monotonic() < deadline, "the CLI never started its migration"
            time.sleep(0.05)
        cfg = retort.Config(root / "retort.toml", lock_wait="300ms")
        with pytest.raises(TimeoutError) as caught:
            retort.command.upgrade(cfg, "head")
        assert isinstance(caught.value, retort.LockBusy) and caught.value.exit_code == 3
    finally:
        assert holder.wait(timeout=30) == 0


def test_lint_and_preflight_return_results(make_project: MakeProject, postgres: Postgres) -> None:
    url = postgres.url(postgres.create_database())
    root, ids = make_project(url, tables(1) + [
        ("CREATE INDEX t1_id ON t1 (id);", "DROP INDEX t1_id;", "")])
    cfg = retort.Config(root / "retort.toml")
    lint = retort.command.lint(cfg, schema="none")
    assert not lint.ok and lint.errors >= 1
    finding = next(f for f in lint.findings if f.revision == ids[1])
    assert finding.level == "error" and finding.line > 0 and "CONCURRENTLY" in finding.fix
    retort.command.upgrade(cfg, ids[0])
    preflight = retort.command.preflight(cfg)
    assert [step.revision for step in preflight.steps] == [ids[1]]
    assert {check.code for check in preflight.checks} >= {"pending", "timeouts"}
