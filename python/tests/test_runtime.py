"""The module's runtime rules: the GIL is free while libretort works, the application's
logging is left alone and nothing is printed, the password stays hidden, Ctrl-C rolls back,
and concurrent callers (threads, processes) each get a correct result."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

import retort
from conftest import PASSWORD, Postgres, tables, write_project

MakeProject = Callable[..., tuple[Path, list[str]]]


def test_logging_is_left_alone_and_nothing_is_printed(
    make_project: MakeProject, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    app = logging.getLogger("app.startup")
    root, ids = make_project(None, tables(2))
    caplog.set_level(logging.INFO)
    app.info("before")
    result = retort.command.upgrade(retort.Config(root / "retort.toml"), "head")
    app.info("after")
    assert len(result.applied) == 2
    assert [r.getMessage() for r in caplog.records if r.name == "app.startup"] == ["before", "after"]
    events = [r for r in caplog.records if r.name == "retort"]
    assert [r.retort_event for r in events] == ["step_started", "step_finished"] * 2  # type: ignore[attr-defined]
    assert ids[0] in events[0].getMessage()
    assert not app.disabled and logging.getLogger().level == logging.INFO
    assert [type(h) for h in logging.getLogger("retort").handlers] == [logging.NullHandler]
    assert capfd.readouterr() == ("", "")


def test_a_python_thread_runs_during_a_long_statement(make_project: MakeProject, postgres: Postgres) -> None:
    url = postgres.url(postgres.create_database())
    root, _ = make_project(url, [("SELECT pg_sleep(2);", "SELECT 1;", "")])
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.005)

    counter = threading.Thread(target=count)
    counter.start()
    started = time.monotonic()
    try:
        retort.command.upgrade(retort.Config(root / "retort.toml"), "head")
    finally:
        stop.set()
        counter.join()
    assert time.monotonic() - started >= 2
    assert ticks >= 100, ticks


def _upgrade_in_process(root: str, queue: "multiprocessing.Queue[list[str]]") -> None:
    result = retort.command.upgrade(retort.Config(Path(root) / "retort.toml"), "head")
    queue.put([step.revision for step in result.applied])


def test_four_processes_apply_each_revision_once(make_project: MakeProject, postgres: Postgres) -> None:
    database = postgres.create_database()
    root, ids = make_project(postgres.url(database),
                             [("SELECT pg_sleep(0.3);", "SELECT 1;", "")] + tables(5))
    context = multiprocessing.get_context("spawn")
    queue: "multiprocessing.Queue[list[str]]" = context.Queue()
    workers = [context.Process(target=_upgrade_in_process, args=(str(root), queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    applied = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert sorted(applied, key=len) == [[], [], [], ids]
    assert postgres.psql(database, "SELECT revision, count(*) FROM retort_log "
                         "WHERE direction = 'upgrade' GROUP BY 1 HAVING count(*) <> 1") == ""
    assert postgres.psql(database, "SELECT version_num FROM retort_version") == ids[-1]


def test_eight_threads_on_eight_sqlite_files(tmp_path: Path) -> None:
    roots = []
    for number in range(8):
        root = tmp_path / f"db{number}"
        root.mkdir()
        roots.append((root, write_project(root, f"sqlite:///{root / 'app.db'}", tables(20))))
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def upgrade(number: int) -> None:
        try:
            root, _ = roots[number]
            cfg = retort.Config(root / "retort.toml")
            results[number] = [step.revision for step in retort.command.upgrade(cfg, "head").applied]
            assert retort.command.current(cfg).up_to_date
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=upgrade, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == {n: roots[n][1] for n in range(8)}


def test_the_password_never_shows(
    make_project: MakeProject, postgres: Postgres, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    database = postgres.create_database()
    root, _ = make_project("${APP_DB}", [("SELECT pg_sleep(0.1);", "SELECT 1;", "")] + tables(1))
    os.environ["APP_DB"] = postgres.password_url(database)
    try:
        cfg = retort.Config(root / "retort.toml")
        assert PASSWORD in cfg.url
        assert PASSWORD not in repr(cfg) and "***" in repr(cfg)
        assert PASSWORD not in cfg.redacted_url
        result = retort.command.upgrade(cfg, "head")
        assert len(result.applied) == 2 and PASSWORD not in repr(result)
        closed = retort.Config(root / "retort.toml",
                               url=f"postgresql://retort_pw:{PASSWORD}@127.0.0.1:1/{database}")
        with pytest.raises(retort.Error) as caught:
            retort.command.upgrade(closed, "head")
        error = caught.value
        assert PASSWORD not in str(error) and PASSWORD not in repr(error)
        assert all(PASSWORD not in str(value) for value in vars(error).values())
        assert all(PASSWORD not in record.getMessage() for record in caplog.records)
        assert capfd.readouterr() == ("", "")
    finally:
        del os.environ["APP_DB"]


def test_ctrl_c_rolls_back_and_raises_keyboard_interrupt(make_project: MakeProject, postgres: Postgres) -> None:
    database = postgres.create_database()
    root, ids = make_project(postgres.url(database), tables(1) + [
        ("CREATE TABLE t2 (id integer);\nSELECT pg_sleep(30);", "DROP TABLE t2;", "")])
    cfg = retort.Config(root / "retort.toml")
    timer = threading.Timer(1.0, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        retort.command.upgrade(cfg, "head")
    timer.join()
    assert time.monotonic() - started < 10
    assert retort.command.current(cfg).heads == [ids[0]]
    assert postgres.psql(database, "SELECT to_regclass('t2') IS NULL") == "t"
    assert postgres.psql(database, f"SELECT status FROM retort_log WHERE revision = '{ids[1]}'") == "failed"
    # The next call runs normally.
    assert retort.pending(cfg) == [ids[1]]


def test_cancel_from_another_thread_rolls_back(make_project: MakeProject, postgres: Postgres) -> None:
    database = postgres.create_database()
    root, ids = make_project(postgres.url(database), [
        ("CREATE TABLE t1 (id integer);\nSELECT pg_sleep(30);", "DROP TABLE t1;", "")])
    cfg = retort.Config(root / "retort.toml")
    assert retort.cancel() is False
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            retort.command.upgrade(cfg, "head")
        except BaseException as error:  # noqa: BLE001 - checked below
            outcome.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while "pg_sleep" not in postgres.psql("postgres", "SELECT string_agg(query, ' ') FROM pg_stat_activity"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert retort.cancel() is True
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], retort.MigrationError)
    assert retort.command.current(cfg).heads == []
    assert postgres.psql(database, "SELECT to_regclass('t1') IS NULL") == "t"
