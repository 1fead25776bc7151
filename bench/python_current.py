#!/usr/bin/env python3
"""retort.command.current(cfg) in-process on an N-revision project (SQLite, up to date): the
first call and the median and 95th percentile of the next RUNS calls, beside the CLI's
`retort current` as a whole process and Alembic's command.current(cfg) in-process (Debian's
alembic package) on the same history.

Usage: PYTHONPATH=BUILD_DIR/python bench/python_current.py BUILD_DIR [COUNT] [RUNS]
(BUILD_DIR: a build with the Python module, RETORT_BUILD_PYTHON; ALEMBIC=0 skips Alembic)
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import retort

here = Path(__file__).resolve().parent


def timed(function, runs):
    """Wall time of the first call, then the median and 95th percentile of the next runs, and
    the median CPU time of the process (user + system; other processes' load does not count)."""
    first_start = time.perf_counter()
    function()
    first = time.perf_counter() - first_start
    times = []
    cpu = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    times.sort()
    timed.cpu = statistics.median(cpu) * 1000
    return first * 1000, statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def main():
    build = Path(sys.argv[1]).resolve()
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    binary = build / "src" / "cli" / "retort"
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        subprocess.run([sys.executable, str(here / "make_history.py"), str(work), str(count),
                        "--shape", "linear", "--alembic-db", f"sqlite:///{work / 'alembic.db'}"],
                       check=True)
        project = work / "retort"
        # As deployed: libretort reuses a parse only of files modified more than two seconds
        # before it read them (script_directory.hpp), which files just written are not.
        time.sleep(3)
        subprocess.run([str(binary), "-q", "upgrade", "head"], cwd=project, check=True,
                       capture_output=True)
        cfg = retort.Config(project / "retort.toml")
        print(f"{count} revisions, SQLite, up to date; median of {runs} runs after the first")
        first, median, p95 = timed(lambda: retort.command.current(cfg), runs)
        current = retort.command.current(cfg)
        assert len(current.heads) == 1 and current.up_to_date, current
        print(f"retort.command.current(cfg)   first {first:8.2f} ms  median {median:7.2f} ms"
              f"  p95 {p95:7.2f} ms  cpu {timed.cpu:6.2f} ms")
        first, median, p95 = timed(lambda: retort.command.heads(cfg), runs)
        print(f"retort.command.heads(cfg)     first {first:8.2f} ms  median {median:7.2f} ms"
              f"  p95 {p95:7.2f} ms  cpu {timed.cpu:6.2f} ms")
        first, median, p95 = timed(lambda: retort.pending(cfg), runs)
        print(f"retort.pending(cfg)           first {first:8.2f} ms  median {median:7.2f} ms"
              f"  p95 {p95:7.2f} ms  cpu {timed.cpu:6.2f} ms")
        first, median, p95 = timed(lambda: retort.Config(project / "retort.toml"), runs)
        print(f"retort.Config(path)           first {first:8.2f} ms  median {median:7.2f} ms"
              f"  p95 {p95:7.2f} ms")
        cli_runs = max(3, runs // 10)
        first, median, p95 = timed(
            lambda: subprocess.run([str(binary), "current"], cwd=project, check=True,
                                   capture_output=True), cli_runs)
        print(f"retort current (process)      first {first:8.2f} ms  median {median:7.2f} ms"
              f"  ({cli_runs} runs)")
        if os.environ.get("ALEMBIC", "1") == "0":
            return
        try:
            from alembic import command
            from alembic.config import Config
        except ImportError:
            print("Alembic: not installed (apt-get install alembic)")
            return
        subprocess.run(["alembic", "-c", "alembic.ini", "upgrade", "head"],
                       cwd=work / "alembic", check=True, capture_output=True)
        alembic_cfg = Config(str(work / "alembic" / "alembic.ini"), stdout=io.StringIO())
        alembic_runs = max(3, runs // 20)
        first, median, p95 = timed(lambda: command.current(alembic_cfg), alembic_runs)
        print(f"alembic command.current(cfg)  first {first:8.2f} ms  median {median:7.2f} ms"
              f"  cpu {timed.cpu:6.2f} ms  ({alembic_runs} runs)")


main()
