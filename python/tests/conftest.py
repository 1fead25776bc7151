"""Fixtures of the Python module's tests: projects on disk, a throwaway PostgreSQL 15 cluster
(started once per test file, as the C++ harness does: initdb into a temporary directory, a
free loopback port, fsync off, run as the postgres OS user when the tests run as root), and
the retort binary of the same build, to compare with the CLI."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import Callable, Iterator

import pytest

PG_BIN = Path(os.environ.get("RETORT_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
PASSWORD = "secret-pw-123"


def retort_binary() -> str:
    return os.environ.get("RETORT_BINARY") or shutil.which("retort") or "retort"


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [retort_binary(), *args], cwd=project, capture_output=True, text=True, check=False
    )


class Postgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="retort-py-pg-"))
        self.root.chmod(0o755)
        self.as_root = os.getuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._run(str(PG_BIN / "initdb"), "-D", str(self.root / "data"), "-A", "trust",
                  "-U", "postgres")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-l",
                  str(self.root / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")
        self.psql("postgres", f"CREATE ROLE retort_pw LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        self.count = 0

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *argv] if self.as_root else list(argv)
        subprocess.run(command, check=True, capture_output=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def password_url(self, database: str) -> str:
        return f"postgresql://retort_pw:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        done = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database),
             "-c", sql],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
        )
        return done.stdout.strip()

    def create_database(self) -> str:
        self.count += 1
        name = f"py_{os.getpid()}_{self.count}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                      "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    try:
        yield server
    finally:
        server.stop()


Revisions = list[tuple[str, str, str]]  # (upgrade SQL, downgrade SQL, header lines)


def write_project(root: Path, url: str, revisions: Revisions) -> list[str]:
    """A retort project in root: retort.toml with url (read from DATABASE_URL when it holds a
    password, as `retort init` does) and one revision file per entry, chained. Returns the
    revision ids in order."""
    (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    (root / "retort.toml").write_text(
        textwrap.dedent(
            f"""\
            [retort]
            script_location = "migrations"
            url = "{url}"
            """
        )
    )
    ids: list[str] = []
    for number, (up, down, header) in enumerate(revisions, start=1):
        rev = f"{number:04d}aaaa{number:04d}"
        parent = f"-- retort:revises {ids[-1]}\n" if ids else ""
        (root / "migrations" / "versions" / f"{rev}_step_{number}.sql").write_text(
            f"-- retort:revision {rev}\n{parent}-- retort:message step {number}\n{header}"
            f"\n-- retort:upgrade\n{up}\n\n-- retort:downgrade\n{down}\n"
        )
        ids.append(rev)
    return ids


@pytest.fixture()
def make_project(tmp_path: Path) -> Callable[..., tuple[Path, list[str]]]:
    count = 0

    def make(url: str | None, revisions: Revisions, name: str | None = None) -> tuple[Path, list[str]]:
        nonlocal count
        count += 1
        root = tmp_path / (name or f"project{count}")
        root.mkdir()
        ids = write_project(root, url or f"sqlite:///{root / 'app.db'}", revisions)
        return root, ids

    return make


def tables(n: int) -> Revisions:
    return [
        (f"CREATE TABLE t{i} (id integer PRIMARY KEY);", f"DROP TABLE t{i};", "")
        for i in range(1, n + 1)
    ]
