"""retort in-process: ``retort.command.upgrade(cfg, "head")`` and its siblings, returning
results instead of printing, with ``await retort.aupgrade(cfg, "head")`` for asyncio apps.

The library never configures logging: its events are records of the ``retort`` logger,
which has only a NullHandler. Every database call runs without the GIL.
"""

from __future__ import annotations

import asyncio
import logging

from . import _native, command
from .command import pending
from .config import Config
from .errors import CommandError, ConfigError, Error, LockBusy, MigrationError
from .results import (
    CheckResult,
    CurrentResult,
    LedgerEntry,
    LintFinding,
    LintResult,
    PreflightCheck,
    PreflightResult,
    PreflightStep,
    Revision,
    RunResult,
    Step,
)

__version__: str = _native.version

logging.getLogger("retort").addHandler(logging.NullHandler())

__all__ = [
    "CheckResult",
    "CommandError",
    "Config",
    "ConfigError",
    "CurrentResult",
    "Error",
    "LedgerEntry",
    "LintFinding",
    "LintResult",
    "LockBusy",
    "MigrationError",
    "PreflightCheck",
    "PreflightResult",
    "PreflightStep",
    "Revision",
    "RunResult",
    "Step",
    "__version__",
    "adowngrade",
    "apending",
    "astamp",
    "aupgrade",
    "cancel",
    "command",
    "downgrade",
    "pending",
    "stamp",
    "upgrade",
]

upgrade = command.upgrade
cancel = command.cancel
downgrade = command.downgrade
stamp = command.stamp


async def aupgrade(
    config: Config, revision: str = "head", *, resume: bool = False, restart: bool = False,
    no_backup: bool = False,
) -> RunResult:
    """command.upgrade in a worker thread (asyncio.to_thread): the event loop keeps serving."""
    return await asyncio.to_thread(
        command.upgrade, config, revision, resume=resume, restart=restart, no_backup=no_backup
    )


async def adowngrade(config: Config, revision: str) -> RunResult:
    """command.downgrade in a worker thread."""
    return await asyncio.to_thread(command.downgrade, config, revision)


async def astamp(config: Config, revision: str, *, purge: bool = False, reason: str = "") -> RunResult:
    """command.stamp in a worker thread."""
    return await asyncio.to_thread(command.stamp, config, revision, purge=purge, reason=reason)


async def apending(config: Config) -> list[str]:
    """command.pending in a worker thread: for an async readiness endpoint."""
    return await asyncio.to_thread(command.pending, config)
