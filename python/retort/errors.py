"""The exceptions of retort's commands, one per exit code of the CLI (SPEC section 6)."""

from __future__ import annotations

from typing import Any, Mapping


class Error(Exception):
    """A command failed. ``str(error)`` is the full text the CLI prints: what failed, where,
    the server's words, the state of the database and the next command to run. The password
    of the database URL never appears in it."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        exit_code: int | None = None,
        text: str | None = None,
        sqlstate: str | None = None,
        file: str | None = None,
        line: int | None = None,
        server_message: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        database_state: str | None = None,
        next_command: str | None = None,
        explanation: str | None = None,
    ) -> None:
        super().__init__(text or message)
        if exit_code is not None:
            self.exit_code = exit_code
        self.message = message
        self.sqlstate = sqlstate or None
        self.file = file or None
        self.line = line or None
        self.server_message = server_message or None
        self.detail = detail or None
        self.hint = hint or None
        self.database_state = database_state or None
        self.next_command = next_command or None
        self.explanation = explanation or None


class MigrationError(Error):
    """The operation failed (exit code 1): a migration's statement, a refused run, an
    unreachable database. A transactional migration that failed left nothing behind."""

    exit_code = 1


class ConfigError(Error, ValueError):
    """Usage or input error (exit code 2): the configuration, a target, a migration file."""

    exit_code = 2


class LockBusy(Error, TimeoutError):
    """Another runner held the run lock past ``lock_wait`` (exit code 3)."""

    exit_code = 3


CommandError = Error
"""Alembic's name for the base class, for the habit of ``except CommandError``."""

_BY_CODE: dict[int, type[Error]] = {1: MigrationError, 2: ConfigError, 3: LockBusy}


def _from_native(fields: Mapping[str, Any]) -> Error:
    """Builds the exception for a libretort error (called by the extension)."""
    code = int(fields["exit_code"])
    kind = _BY_CODE.get(code, Error)
    return kind(
        str(fields["message"]),
        exit_code=code,
        text=fields.get("text"),
        sqlstate=fields.get("sqlstate"),
        file=fields.get("file"),
        line=fields.get("line"),
        server_message=fields.get("server_message"),
        detail=fields.get("detail"),
        hint=fields.get("hint"),
        database_state=fields.get("database_state"),
        next_command=fields.get("next_command"),
        explanation=fields.get("explanation"),
    )
