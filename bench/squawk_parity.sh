#!/usr/bin/env bash
# Lints the parity corpus (tests/testdata/lint/parity) with retort and with Squawk, the
# best-known PostgreSQL migration linter, and compares their findings file by file.
#
#   bench/squawk_parity.sh BUILD_DIR [SQUAWK]
#
# BUILD_DIR holds the retort binary (src/cli/retort). SQUAWK is a squawk executable; without
# one, squawk-cli@2.66.0 is installed with npm into a temporary directory (this needs the npm
# registry, which is why the script is a bench script and not a CI test).
#
# retort lints each file's upgrade section with the file's context (in one transaction or not,
# the tables created before each statement, the lock_timeout retort sets). Squawk reads the
# same files as plain SQL: each is given the upgrade section only (the downgrade section's lines
# blanked, so that line numbers stay), with --assume-in-transaction unless the file says
# `-- retort:transaction false`, as retort runs it. Squawk on the whole files is counted too, to
# show what the downgrade sections add.
#
# A finding "both report" is a Squawk finding and a retort finding on the same statement whose
# rules check the same thing (the table K_SAME below, as in docs/reference/lint-squawk.md),
# paired one to one, nearest first. What is left is "only squawk" or "only retort".
#
# Environment: PG_VERSION (default 15), the PostgreSQL major version both tools assume.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [SQUAWK]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$1
squawk=${2:-}
pg_version=${PG_VERSION:-15}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=$root/tests/testdata/lint/parity
retort=$build_dir/src/cli/retort
[[ -x $retort ]] || {
  echo "error: no retort binary at $retort; build it: cmake --build $build_dir --target retort" >&2
  exit 2
}
retort=$(cd "$(dirname "$retort")" && pwd)/retort

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=bench/squawk.sh
source "$root/bench/squawk.sh"
squawk_install "$work" "$squawk"

# retort exits 1 when an error-level finding stands, which the corpus has on purpose.
status=0
(cd "$corpus" && "$retort" lint --json --pg-version "$pg_version") >"$work/retort.json" || status=$?
if [[ $status -gt 1 ]]; then
  echo "error: retort lint exited with $status:" >&2
  cat "$work/retort.json" >&2
  exit 2
fi

python3 - "$corpus" "$work" "$squawk" "$pg_version" "$found_version" <<'PY'
import json
import pathlib
import re
import subprocess
import sys

corpus, work, squawk, pg_version, squawk_version = sys.argv[1:]
corpus, work = pathlib.Path(corpus), pathlib.Path(work)

# Squawk rules and the retort codes that check the same thing (docs/reference/lint-squawk.md).
K_SAME = {
    "require-concurrent-index-creation": {"PG101"},
    "require-concurrent-index-deletion": {"PG102"},
    "adding-field-with-default": {"PG103"},
    "adding-required-field": {"PG104"},
    "adding-not-nullable-field": {"PG105"},
    "constraint-missing-not-valid": {"PG106"},
    "adding-foreign-key-constraint": {"PG106", "PG113"},
    "ban-alter-domain-with-add-constraint": {"PG106"},
    "disallowed-unique-constraint": {"PG107"},
    "adding-serial-primary-key-field": {"PG107"},
    "changing-column-type": {"PG108"},
    "prefer-repack": {"PG109"},
    "require-lock-timeout": {"PG110"},
    "require-timeout-settings": {"PG110"},
    "require-concurrent-reindex": {"PG111"},
    "require-concurrent-partition-detach": {"PG113"},
    "renaming-table": {"PG201"},
    "renaming-column": {"PG202"},
    "ban-drop-table": {"PG203"},
    "ban-drop-column": {"PG204"},
    "ban-truncate-cascade": {"PG205"},
    "ban-drop-database": {"PG207"},
    "ban-concurrent-index-creation-in-transaction": {"PG303"},
    "transaction-nesting": {"PG305"},
    "ban-uncommitted-transaction": {"PG305"},
    "prefer-text-field": {"PG402"},
    "ban-char-field": {"PG403"},
    "prefer-identity": {"PG404"},
    "prefer-timestamp-tz": {"PG405"},
    "prefer-bigint-over-int": {"PG406"},
    "prefer-bigint-over-smallint": {"PG406"},
}
# Squawk rules that fire on a file rather than on a dangerous statement; counted apart too.
K_PER_FILE = {"require-lock-timeout", "require-statement-timeout", "prefer-robust-stmts"}


def statements(text):
    """The statements of `text` as (start, end) pairs of (line, column), 1-based: split at `;`
    outside strings, quoted names, dollar quotes and comments."""
    out, start = [], None
    line, col, i, n = 1, 1, 0, len(text)

    def advance(count):
        nonlocal line, col, i
        for _ in range(count):
            if i < n and text[i] == "\n":
                line, col = line + 1, 1
            else:
                col += 1
            i += 1

    while i < n:
        c = text[i]
        if text.startswith("--", i):
            while i < n and text[i] != "\n":
                advance(1)
            continue
        if text.startswith("/*", i):
            depth = 0
            while i < n:
                if text.startswith("/*", i):
                    depth += 1
                    advance(2)
                elif text.startswith("*/", i):
                    depth -= 1
                    advance(2)
                    if depth == 0:
                        break
                else:
                    advance(1)
            continue
        if c.isspace():
            advance(1)
            continue
        if start is None:
            start = (line, col)
        if c in "'\"":
            advance(1)
            while i < n:
                if text[i] == c and text.startswith(c * 2, i):
                    advance(2)
                elif text[i] == c:
                    advance(1)
                    break
                else:
                    advance(1)
            continue
        tag = re.match(r"\$[A-Za-z_0-9]*\$", text[i:]) if c == "$" else None
        if tag:
            close = text.find(tag.group(0), i + len(tag.group(0)))
            advance((n if close < 0 else close + len(tag.group(0))) - i)
            continue
        if c == ";":
            out.append((start, (line, col)))
            start = None
        advance(1)
    if start is not None:
        out.append((start, (line, col)))
    return out


def statement_of(spans, position):
    """The index of the statement holding `position`, or of the last one before it."""
    found = 0
    for index, (start, end) in enumerate(spans):
        if start <= position:
            found = index
        if start <= position <= end:
            return index
    return found


def header(text, key):
    match = re.search(r"^--\s*retort:" + key + r"[ \t]+(.*?)\s*$", text, re.M)
    return match.group(1) if match else None


def upgrade_only(text):
    """The file with the downgrade section's lines blanked: line numbers stay as they are."""
    lines, keep, out = text.split("\n"), True, []
    for row in lines:
        marker = re.match(r"^--\s*retort:(upgrade|downgrade)\s*$", row)
        if marker:
            keep = marker.group(1) == "upgrade"
            out.append(row)
        else:
            out.append(row if keep else "")
    return "\n".join(out)


def run_squawk(path, transactional):
    command = [squawk, "--reporter", "json", "--pg-version", pg_version]
    if transactional:
        command.append("--assume-in-transaction")
    done = subprocess.run(command + [str(path)], capture_output=True, text=True)
    if done.returncode not in (0, 1) or not done.stdout.strip().startswith("["):
        sys.exit(f"error: squawk exited with {done.returncode} on {path}:\n{done.stderr}")
    return json.loads(done.stdout)


retort = json.loads((work / "retort.json").read_text())
by_file = {}
for finding in retort["findings"]:
    by_file.setdefault(pathlib.Path(finding["file"]).name, []).append(finding)

files = {}
for path in sorted((corpus / "migrations" / "versions").glob("*.sql")):
    files[header(path.read_text(), "revision")] = path
order = [files[revision] for revision in retort["revisions"]]

(work / "upgrade").mkdir()
rows, totals = [], {"both": 0, "squawk": 0, "retort": 0}
per_rule, per_code = {}, {}
per_file_squawk = downgrade_extra = syntax_errors = 0

for path in order:
    text = path.read_text()
    transactional = (header(text, "transaction") or "true").lower() != "false"
    upgrade = work / "upgrade" / path.name
    upgrade.write_text(upgrade_only(text))
    squawk_found = run_squawk(upgrade, transactional)
    downgrade_extra += len(run_squawk(path, transactional)) - len(squawk_found)
    spans = statements(upgrade.read_text())

    left = []
    for item in squawk_found:
        if item["rule_name"] == "syntax-error":
            syntax_errors += 1
        position = (item["line"] + 1, item["column"] + 1)
        left.append((statement_of(spans, position), position, item["rule_name"]))
    right = []
    for item in by_file.get(path.name, []):
        position = (item["line"], item["column"])
        code = item["code"] + (" (accepted)" if item["ignored"] else "")
        right.append((statement_of(spans, position), position, item["code"], code))

    # One to one, nearest first, within a statement.
    pairs = []
    for a, (sa, pa, rule) in enumerate(left):
        for b, (sb, pb, code, _) in enumerate(right):
            if sa == sb and code in K_SAME.get(rule, ()):
                pairs.append((abs(pa[0] - pb[0]), abs(pa[1] - pb[1]), a, b))
    used_a, used_b, table = set(), set(), []
    for _, _, a, b in sorted(pairs):
        if a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            table.append((right[b][1][0], left[a][2], right[b][3]))
    both = len(table)
    only_squawk = [x for a, x in enumerate(left) if a not in used_a]
    only_retort = [x for b, x in enumerate(right) if b not in used_b]
    table += [(x[1][0], x[2], "-") for x in only_squawk]
    table += [(x[1][0], "-", x[3]) for x in only_retort]

    for _, rule, code in table:
        if rule != "-":
            agreed = code != "-"
            per_rule.setdefault(rule, [0, 0])[0 if agreed else 1] += 1
        if code != "-":
            per_code.setdefault(code.split()[0], [0, 0])[0 if rule != "-" else 1] += 1
    per_file_squawk += sum(1 for x in only_squawk if x[2] in K_PER_FILE)
    totals["both"] += both
    totals["squawk"] += len(only_squawk)
    totals["retort"] += len(only_retort)
    rows.append((path.name, transactional, len(squawk_found), len(right), both,
                 len(only_squawk), len(only_retort)))

    mode = "transactional: --assume-in-transaction" if transactional else "transaction false"
    print(f"{path.name} ({mode})")
    print(f"  {'line':>4}  {'squawk':<44}  retort")
    for line, rule, code in sorted(table):
        print(f"  {line:>4}  {rule:<44}  {code}")
    if not table:
        print("     -  (no finding)")
    print(f"  both {both}, only squawk {len(only_squawk)}, only retort {len(only_retort)}\n")

print(f"{squawk_version} vs retort (PostgreSQL {pg_version}), {len(order)} migrations, "
      f"{retort['statements']} statements\n")
print("| migration | tx | squawk | retort | both | only squawk | only retort |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for name, transactional, sq, rt, both, only_sq, only_rt in rows:
    print(f"| {name} | {'yes' if transactional else 'no'} | {sq} | {rt} | {both} | "
          f"{only_sq} | {only_rt} |")
squawk_total = sum(r[2] for r in rows)
retort_total = sum(r[3] for r in rows)
print(f"| total | | {squawk_total} | {retort_total} | {totals['both']} | {totals['squawk']} | "
      f"{totals['retort']} |\n")

print("| squawk rule | findings | retort agrees | only squawk |")
print("| --- | ---: | ---: | ---: |")
for rule, (agreed, alone) in sorted(per_rule.items()):
    print(f"| {rule} | {agreed + alone} | {agreed} | {alone} |")
print("\n| retort code | findings | squawk agrees | only retort |")
print("| --- | ---: | ---: | ---: |")
for code, (agreed, alone) in sorted(per_code.items()):
    print(f"| {code} | {agreed + alone} | {agreed} | {alone} |")

print(f"\nfindings both report: {totals['both']}")
print(f"only squawk: {totals['squawk']} ({per_file_squawk} of them from the per-file rules "
      f"{', '.join(sorted(K_PER_FILE))})")
print(f"only retort: {totals['retort']}")
print(f"squawk on the whole files (downgrade sections included) finds {downgrade_extra} more")
if syntax_errors:
    print(f"squawk could not parse {syntax_errors} statement(s): see syntax-error above")
if retort["unused_ignores"]:
    print("retort lint-ignore that accepts nothing: " + ", ".join(retort["unused_ignores"]))
PY
