#!/usr/bin/python3
"""Plans upgrades, downgrades and target resolutions with Alembic's own RevisionMap and
HeadMaintainer, in memory, for comparison with retort's graph module.

Reads one JSON document on stdin, a list of graphs with their cases:
  {"graphs": [{"revisions": [{"id", "down": [...], "deps": [...], "labels": [...]}],
               "cases": [{"op": "upgrade"|"downgrade"|"resolve", "current": [...],
                          "target": "..."}]}]}
Writes one JSON document on stdout, {"graphs": [{"results": [...]}]}, with per case either
  {"steps": [[revision, "upgrade"|"downgrade", [[op, from, to], ...]], ...], "heads": [...]},
  {"ids": [...]} for a resolve, or {"error": "ExceptionType: message"}.
"""
import json
import sys
import warnings
from types import SimpleNamespace
from unittest import mock

from alembic.runtime.migration import HeadMaintainer, MigrationStep
from alembic.script.revision import Revision, RevisionMap


class ScriptLike(Revision):
    """A revision with the module attribute RevisionStep reads its callables from."""

    module = SimpleNamespace(upgrade=lambda: None, downgrade=lambda: None)
    doc = ""


class RecordingMaintainer(HeadMaintainer):
    """HeadMaintainer that records version-table operations instead of running SQL."""

    def __init__(self, heads):
        context = mock.MagicMock()
        context.as_sql = True
        super().__init__(context, heads)
        self.ops = []

    def _insert_version(self, version):
        super()._insert_version(version)
        self.ops.append(["insert", "", version])

    def _delete_version(self, version):
        super()._delete_version(version)
        self.ops.append(["remove", version, ""])

    def _update_version(self, from_, to_):
        super()._update_version(from_, to_)
        self.ops.append(["update", from_, to_])


def build(spec):
    revisions = [
        ScriptLike(
            r["id"],
            tuple(r["down"]) or None,
            dependencies=tuple(r["deps"]) or None,
            branch_labels=tuple(r["labels"]) or None,
        )
        for r in sorted(spec, key=lambda r: r["id"])
    ]
    return RevisionMap(lambda: revisions)


def run_case(rmap, case):
    current = tuple(case["current"])
    target = case["target"]
    if case["op"] == "resolve":
        revs = rmap.get_revisions(target)
        return {"ids": sorted(r.revision for r in revs if r is not None)}
    if case["op"] == "upgrade":
        revs = list(rmap.iterate_revisions(target, current, implicit_base=True))
        steps = [MigrationStep.upgrade_from_script(rmap, r) for r in reversed(revs)]
    else:
        revs = list(rmap.iterate_revisions(current, target, select_for_downgrade=True))
        steps = [MigrationStep.downgrade_from_script(rmap, r) for r in revs]
    maintainer = RecordingMaintainer(current)
    out = []
    for step in steps:
        maintainer.ops = []
        maintainer.update_to_step(step)
        out.append([step.revision.revision, "upgrade" if step.is_upgrade else "downgrade",
                    maintainer.ops])
    return {"steps": out, "heads": sorted(maintainer.heads)}


def main():
    warnings.simplefilter("ignore")
    doc = json.load(sys.stdin)
    out = []
    for graph in doc["graphs"]:
        rmap = build(graph["revisions"])
        results = []
        for case in graph["cases"]:
            try:
                results.append(run_case(rmap, case))
            except Exception as err:  # every Alembic failure is a result to compare
                results.append({"error": "%s: %s" % (type(err).__name__, err)})
        out.append({"results": results})
    json.dump({"graphs": out}, sys.stdout)


if __name__ == "__main__":
    main()
