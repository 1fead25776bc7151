"""What the commands return: plain, frozen data (the CLI's ``--json`` documents, as objects)."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, TypeVar, cast

_T = TypeVar("_T")


def _build(cls: type[_T], fields: Mapping[str, Any], **nested: Any) -> _T:
    names = {field.name for field in dataclasses.fields(cast(Any, cls))}
    values = {key: value for key, value in fields.items() if key in names}
    values.update(nested)
    return cls(**values)


@dataclasses.dataclass(frozen=True)
class LedgerEntry:
    """A row of the ledger (``retort_log``)."""

    id: int
    revision: str
    direction: str  # "upgrade", "downgrade", "stamp"
    status: str  # "running", "ok", "failed"
    statements_done: int
    statements_total: int
    started_at: str
    finished_at: str
    duration_ms: int | None
    error: str
    reason: str
    next_command: str

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> LedgerEntry:
        return _build(cls, fields)


@dataclasses.dataclass(frozen=True)
class Revision:
    """A revision of the script directory."""

    revision: str
    down_revisions: list[str]
    depends_on: list[str]
    branch_labels: list[str]
    message: str
    path: str  # relative to the project directory
    is_head: bool
    is_base: bool
    is_branch_point: bool
    is_merge_point: bool
    is_current: bool  # history(indicate_current=True) only
    transactional: bool
    has_downgrade: bool
    estimate_ms: int | None
    last_run: LedgerEntry | None  # history(indicate_current=True) only

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> Revision:
        last = fields.get("last_run")
        return _build(cls, fields, last_run=LedgerEntry._from(last) if last else None)


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of a run, as it happened (or, with ``sql=True``, as it would)."""

    revision: str
    message: str
    direction: str  # "upgrade", "downgrade", "stamp"
    status: str  # "ok", "failed", "planned"
    statements_done: int
    statements_total: int
    duration_ms: int
    heads_after: list[str]
    backup: str  # the backup taken before the step, or ""

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> Step:
        return _build(cls, fields)


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What ``upgrade``, ``downgrade`` and ``stamp`` did."""

    database: str  # the URL, password replaced by ***
    target: str
    heads_before: list[str]
    heads_after: list[str]
    steps: list[Step]
    duration_ms: int
    sql: str  # sql=True: the script; otherwise ""

    @property
    def applied(self) -> list[Step]:
        """The steps that ran to the end."""
        return [step for step in self.steps if step.status == "ok"]

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> RunResult:
        return _build(cls, fields, steps=[Step._from(step) for step in fields["steps"]])


@dataclasses.dataclass(frozen=True)
class CurrentResult:
    """The database's current revisions and what an upgrade would still run."""

    database: str
    heads: list[str]  # the version table's rows
    revisions: list[Revision]  # the same, as revisions of the files
    unknown: list[str]  # rows that name no revision in the files
    unfinished: list[LedgerEntry]  # running or failed ledger rows not superseded
    up_to_date: bool
    pending: list[str]  # revisions `upgrade heads` would run, in order

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> CurrentResult:
        revisions = [Revision._from(head) for head in fields["heads"]]
        return _build(
            cls,
            fields,
            heads=[revision.revision for revision in revisions] + list(fields["unknown"]),
            revisions=revisions,
            unfinished=[LedgerEntry._from(entry) for entry in fields["unfinished"]],
        )


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """``check``: ok is False on pending revisions, several heads, a rejected file, or a
    declared schema that differs from the history's heads."""

    ok: bool
    findings: list[str]
    schema_changes: list[str]

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> CheckResult:
        return _build(cls, fields)


@dataclasses.dataclass(frozen=True)
class LintFinding:
    code: str
    name: str
    level: str  # "error", "warning", "note"
    revision: str
    file: str
    line: int
    column: int
    statement: str
    message: str
    why: str
    fix: str
    ignored: str
    # What the database said of the table's rows that lowered the level; empty when nothing did.
    evidence: str = ""

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> LintFinding:
        return _build(cls, fields)


@dataclasses.dataclass(frozen=True)
class LintResult:
    findings: list[LintFinding]
    unused_ignores: list[str]
    revisions: list[str]
    statements: int
    server_version: int
    skipped: str
    schema_notes: list[str]
    errors: int
    warnings: int
    notes: int
    ok: bool

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> LintResult:
        return _build(
            cls, fields, findings=[LintFinding._from(item) for item in fields["findings"]]
        )


@dataclasses.dataclass(frozen=True)
class PreflightCheck:
    code: str
    status: str  # "pass", "warn", "fail"
    message: str
    fix: str

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> PreflightCheck:
        return _build(cls, fields)


@dataclasses.dataclass(frozen=True)
class PreflightStep:
    revision: str
    message: str
    transactional: bool
    estimate_ms: int | None
    estimate_source: str

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> PreflightStep:
        return _build(cls, fields)


@dataclasses.dataclass(frozen=True)
class PreflightResult:
    database: str
    target: str
    steps: list[PreflightStep]
    checks: list[PreflightCheck]
    ok: bool

    @classmethod
    def _from(cls, fields: Mapping[str, Any]) -> PreflightResult:
        return _build(
            cls,
            fields,
            steps=[PreflightStep._from(item) for item in fields["steps"]],
            checks=[PreflightCheck._from(item) for item in fields["checks"]],
        )
