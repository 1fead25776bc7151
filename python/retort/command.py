"""The commands, as functions of a Config (Alembic's ``alembic.command``). Each returns a
result object and prints nothing; each raises retort.Error (ConfigError, MigrationError,
LockBusy) with what failed, where and the next command. Events of a run (steps started and
finished, lock waits, retries) are records of the ``retort`` logger."""

from __future__ import annotations

import logging
from typing import Any, Iterable

from . import _native
from .config import Config
from .results import (
    CheckResult,
    CurrentResult,
    LintResult,
    PreflightResult,
    Revision,
    RunResult,
)

logger = logging.getLogger("retort")


def _log_event(kind: str, fields: dict[str, Any]) -> None:
    if kind == "note":
        logger.info("%s", fields["text"], extra={"retort_event": kind})
        return
    where = f"[{fields['index']}/{fields['count']}] {fields['direction']} {fields['revision']}"
    extra = {"retort_event": kind, "retort_revision": fields["revision"]}
    if kind == "step_started":
        logger.info("%s: %s", where, fields["message"], extra=extra)
    elif kind == "step_finished":
        outcome = "ok" if fields["ok"] else "failed"
        logger.info("%s: %s in %d ms", where, outcome, fields["duration_ms"], extra=extra)
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s: statement %d of %d", where, fields["done"], fields["total"], extra=extra
        )


def _run(
    function: Any,
    config: Config,
    target: str,
    *,
    sql: bool = False,
    reason: str = "",
    purge: bool = False,
    resume: bool = False,
    restart: bool = False,
    no_backup: bool = False,
) -> RunResult:
    partial = "resume" if resume else "restart" if restart else ""
    fields = function(
        config._native, target, sql, reason, purge, partial, no_backup, _log_event
    )
    return RunResult._from(fields)


def upgrade(
    config: Config,
    revision: str = "head",
    *,
    sql: bool = False,
    resume: bool = False,
    restart: bool = False,
    no_backup: bool = False,
) -> RunResult:
    """Runs the migrations up to ``revision`` under the run lock; several processes may call
    it at once and each revision runs once. ``sql=True`` returns the script in ``.sql``
    instead of connecting. Ctrl-C (KeyboardInterrupt) rolls the running migration back."""
    return _run(
        _native.upgrade,
        config,
        revision,
        sql=sql,
        resume=resume,
        restart=restart,
        no_backup=no_backup,
    )


def downgrade(
    config: Config, revision: str, *, sql: bool = False, resume: bool = False,
    restart: bool = False, no_backup: bool = False,
) -> RunResult:
    """Runs downgrade sections back to ``revision`` ("-1", "base", a revision)."""
    return _run(
        _native.downgrade,
        config,
        revision,
        sql=sql,
        resume=resume,
        restart=restart,
        no_backup=no_backup,
    )


def stamp(
    config: Config, revision: str, *, purge: bool = False, reason: str = "", sql: bool = False
) -> RunResult:
    """Sets the version table to ``revision`` without running migrations (ledger rows of
    direction "stamp", with ``reason``)."""
    return _run(_native.stamp, config, revision, sql=sql, reason=reason, purge=purge)


def cancel() -> bool:
    """Stops the upgrade, downgrade or stamp running in this process, from any thread (a
    shutdown handler): its statement is cancelled on the server, the migration rolls back and
    is recorded failed, and that call raises MigrationError. False when none runs."""
    return _native.cancel()


def current(config: Config) -> CurrentResult:
    """The database's current revisions (``.heads``) and what is pending. Reads only."""
    return CurrentResult._from(_native.current(config._native))


def heads(config: Config) -> list[Revision]:
    """The heads of the script directory. No database."""
    return [Revision._from(item) for item in _native.heads(config._native)]


def history(config: Config, rev_range: str = "", *, indicate_current: bool = False) -> list[Revision]:
    """Revisions newest first; ``rev_range`` as ``history -r`` ("base:head", "-3:")."""
    items = _native.history(config._native, rev_range, indicate_current)
    return [Revision._from(item) for item in items]


def check(config: Config) -> CheckResult:
    """``.ok`` is False on pending revisions, several heads, a file the graph rejects, or a
    declared schema that differs from the history. Reads only."""
    return CheckResult._from(_native.check(config._native))


def lint(
    config: Config,
    revisions: Iterable[str] = (),
    *,
    pending: bool = False,
    target: str = "heads",
    server_version: int | None = None,
    schema: str = "",
) -> LintResult:
    """The dangerous operations of PostgreSQL migrations, with the SQL to write instead."""
    fields = _native.lint(
        config._native, list(revisions), pending, target, server_version, schema
    )
    return LintResult._from(fields)


def preflight(config: Config, revision: str = "head") -> PreflightResult:
    """The production checklist before ``upgrade(revision)``; takes no lock, changes nothing."""
    return PreflightResult._from(_native.preflight(config._native, revision))


def pending(config: Config) -> list[str]:
    """The revisions ``upgrade(config, "heads")`` would run, without taking any lock: empty
    when the database is up to date (a readiness probe)."""
    return list(_native.pending(config._native)["pending"])
