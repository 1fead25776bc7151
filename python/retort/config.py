"""retort.Config: retort.toml, the environment and keyword overrides, read once."""

from __future__ import annotations

import os
from typing import Union

from . import _native

StrPath = Union[str, "os.PathLike[str]"]
Setting = Union[str, int]

# Keyword arguments that override [retort.postgres] keys, checked as retort.toml's are.
_POSTGRES_KEYS = ("lock_timeout", "statement_timeout", "lock_retries", "lock_wait")


class Config:
    """The configuration the commands run with, read as the CLI reads it.

    ``path`` is retort.toml (default: found in ``cwd`` or a parent, like the CLI's ``-c``).
    ``url`` overrides the database URL as ``--url`` does (before RETORT_URL, DATABASE_URL and
    the file); the other keywords override the file's keys of the same name (durations as in
    retort.toml: ``"500ms"``, ``"2s"``). Raises ConfigError (also a ValueError) naming the
    file, line and key of a problem.

    A Config is a value: share it between threads. ``repr`` and ``redacted_url`` never show
    the password; ``url`` does, for code that connects itself.
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        path: StrPath | None = None,
        *,
        url: str | None = None,
        cwd: StrPath | None = None,
        script_location: StrPath | None = None,
        version_table: str | None = None,
        version_table_schema: str | None = None,
        lock_timeout: Setting | None = None,
        statement_timeout: Setting | None = None,
        lock_retries: Setting | None = None,
        lock_wait: Setting | None = None,
    ) -> None:
        given = {
            "lock_timeout": lock_timeout,
            "statement_timeout": statement_timeout,
            "lock_retries": lock_retries,
            "lock_wait": lock_wait,
        }
        overrides = [
            (f"retort.postgres.{key}", str(given[key]))
            for key in _POSTGRES_KEYS
            if given[key] is not None
        ]
        native = _native.load(
            os.fspath(path) if path is not None else None,
            url,
            os.fspath(cwd) if cwd is not None else None,
            overrides,
        )
        if script_location is not None:
            native.script_location = os.fspath(script_location)
        if version_table is not None:
            native.version_table = version_table
        if version_table_schema is not None:
            native.version_table_schema = version_table_schema
        self._native = native

    @property
    def url(self) -> str:
        """The database URL, password included: never log it; see redacted_url."""
        return self._native.url

    @property
    def redacted_url(self) -> str:
        return self._native.redacted_url

    @property
    def url_source(self) -> str:
        """Where url came from: "--url" (the url keyword), RETORT_URL, DATABASE_URL or the file."""
        return self._native.url_source

    @property
    def config_file(self) -> str:
        return self._native.config_file

    @property
    def project_dir(self) -> str:
        return self._native.project_dir

    @property
    def script_location(self) -> str:
        return self._native.script_location

    @property
    def version_table(self) -> str:
        return self._native.version_table

    @property
    def notes(self) -> list[str]:
        """What reading the configuration changed on the way (a SQLAlchemy driver dropped)."""
        return list(self._native.notes)

    def __repr__(self) -> str:
        return (
            f"retort.Config({self.config_file or None!r}, url={self.redacted_url!r}, "
            f"script_location={self.script_location!r}, version_table={self.version_table!r})"
        )
