"""The FastAPI recipe of docs/guide/python.md: upgrade in the lifespan (in a worker thread,
no asyncio.run inside the running loop), a readiness endpoint on pending(), and several
uvicorn workers starting at once. Debian 12's FastAPI (0.92) predates FastAPI(lifespan=...):
the app sets its router's lifespan_context, which every version honours."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

import retort
from conftest import Postgres, tables

MakeProject = Callable[..., tuple[Path, list[str]]]

APP = """\
import os
from contextlib import asynccontextmanager

import retort
from fastapi import FastAPI, Response

config = retort.Config(os.environ["RETORT_CONFIG"])


@asynccontextmanager
async def lifespan(app):
    await retort.aupgrade(config, "head")
    yield


app = FastAPI()
app.router.lifespan_context = lifespan  # FastAPI >= 0.93: FastAPI(lifespan=lifespan)


@app.get("/ready")
async def ready(response: Response):
    pending = await retort.apending(config)
    if pending:
        response.status_code = 503
    return {"pending": pending}
"""


def test_lifespan_upgrades_and_the_app_serves(make_project: MakeProject) -> None:
    root, ids = make_project(None, tables(3))
    config = retort.Config(root / "retort.toml")
    seen: list[list[str]] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        result = await retort.aupgrade(config, "head")
        seen.append([step.revision for step in result.applied])
        yield

    app = FastAPI()
    app.router.lifespan_context = lifespan  # FastAPI >= 0.93: FastAPI(lifespan=lifespan)

    @app.get("/ready")
    async def ready(response: Response) -> dict[str, list[str]]:
        pending = await retort.apending(config)
        if pending:
            response.status_code = 503
        return {"pending": pending}

    assert retort.pending(config) == ids
    with TestClient(app) as client:
        assert seen == [ids]
        for _ in range(3):
            answer = client.get("/ready")
            assert answer.status_code == 200 and answer.json() == {"pending": []}


def test_readiness_says_503_while_revisions_are_pending(make_project: MakeProject) -> None:
    root, ids = make_project(None, tables(2))
    config = retort.Config(root / "retort.toml")
    app = FastAPI()

    @app.get("/ready")
    async def ready(response: Response) -> dict[str, list[str]]:
        pending = await retort.apending(config)
        if pending:
            response.status_code = 503
        return {"pending": pending}

    with TestClient(app) as client:
        answer = client.get("/ready")
        assert answer.status_code == 503 and answer.json() == {"pending": ids}


def test_uvicorn_workers_start_together(make_project: MakeProject, postgres: Postgres) -> None:
    database = postgres.create_database()
    root, ids = make_project(postgres.url(database),
                             [("SELECT pg_sleep(0.5);", "SELECT 1;", "")] + tables(3))
    (root / "app.py").write_text(APP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RETORT_CONFIG": str(root / "retort.toml"),
           "PYTHONPATH": os.pathsep.join([str(root), str(Path(retort.__file__).parent.parent)])}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--workers", "3", "--port", str(port),
         "--log-level", "warning"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.terminate()
                    pytest.fail(f"uvicorn did not get ready:\n{server.communicate()[0]}")
                time.sleep(0.2)
        time.sleep(1)  # the other workers' lifespans
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Traceback" not in output and "asyncio.run" not in output, output
    assert postgres.psql(database, "SELECT version_num FROM retort_version") == ids[-1]
    assert postgres.psql(database, "SELECT revision, count(*) FROM retort_log "
                         "WHERE direction = 'upgrade' GROUP BY 1 HAVING count(*) <> 1") == ""
    assert len(postgres.psql(database, "SELECT revision FROM retort_log").split()) == len(ids)
