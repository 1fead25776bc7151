// Shared wiring of the command layer.
#include "commands/wiring.hpp"

#include "base/duration.hpp"
#include "base/text.hpp"
#include "base/window.hpp"
#include "ops/doctor/doctor.hpp"
#include "retort/format.hpp"
#include "retort/hints.hpp"
#include "runner/ledger.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace retort::commands {

script::ScriptDirectory load_scripts(const Config& config) {
  auto loaded = script::ScriptDirectory::load(config.script_location, config.project_dir);
  if (loaded) {
    return std::move(loaded).value();
  }
  const std::vector<script::Problem>& problems = loaded.error();
  // One problem reads as a located error; several are listed, each with its fix.
  if (problems.size() == 1) {
    const script::Problem& problem = problems.front();
    throw Error(ExitCode::input, problem.message)
        .at(problem.where)
        .explain(problem.fix.empty() ? "" : "fix: " + problem.fix)
        .state("nothing was run");
  }
  std::string list;
  for (const script::Problem& problem : problems) {
    if (!list.empty()) {
      list += "\n  ";
    }
    list += problem.where.file;
    if (problem.where.line > 0) {
      list += fmt::format(":{}", problem.where.line);
    }
    list += ": " + problem.message;
    if (!problem.fix.empty()) {
      list += "\n      fix: " + problem.fix;
    }
  }
  throw Error(ExitCode::input, fmt::format("{} problems in the migration files", problems.size()))
      .explain(list)
      .state("nothing was run");
}

base::DatabaseUrl database_url(const Config& config) {
  auto parsed = base::parse_database_url(config.url);
  if (!parsed) {
    throw Error(ExitCode::input, parsed.error())
        .explain(fmt::format("the URL came from {}", config.url_source));
  }
  return std::move(parsed).value();
}

std::unique_ptr<driver::Connection> open_connection(const Config& config,
                                                    driver::MissingDatabase missing) {
  driver::ConnectOptions options;
  options.missing = missing;
  return driver::connect(database_url(config), options);
}

runner::Settings runner_settings(const Config& config) {
  runner::Settings settings;
  settings.version_table = config.version_table;
  settings.version_table_schema = config.version_table_schema;
  settings.transaction_per_migration = config.transaction_per_migration;
  settings.lock_timeout = config.postgres.lock_timeout;
  settings.lock_retries = config.postgres.lock_retries;
  settings.statement_timeout = config.postgres.statement_timeout;
  settings.orphan_wait = config.postgres.lock_wait;
  // lease is the lock for transaction-mode poolers, where a session setting would stay on a
  // server session that other clients get next.
  settings.session = config.postgres.lock == LockMode::lease ? runner::SessionSettings::not_kept
                                                             : runner::SessionSettings::kept;
  return settings;
}

runner::LockSettings lock_settings(const Config& config, const base::DatabaseUrl& url) {
  runner::LockSettings settings;
  settings.wait = config.postgres.lock_wait;
  settings.version_table = config.version_table;
  settings.version_table_schema = config.version_table_schema;
  settings.lease_ttl = config.postgres.lease_ttl;
  if (config.postgres.lock == LockMode::none) {
    settings.kind = runner::LockKind::none;
  } else if (url.dialect == base::Dialect::sqlite) {
    settings.kind = runner::LockKind::file;
  } else if (config.postgres.lock == LockMode::lease) {
    settings.kind = runner::LockKind::lease;
    // Renewed every third of it: shorter than a second leaves no room for one slow round trip.
    if (config.postgres.lease_ttl < std::chrono::seconds(1)) {
      throw Error(ExitCode::input,
                  fmt::format("retort.postgres.lease_ttl must be at least 1s, not {}",
                              base::format_duration(config.postgres.lease_ttl)))
          .explain("a runner renews its lease every third of lease_ttl; 30s is the default")
          .state("nothing was run");
    }
  } else {
    settings.kind = runner::LockKind::advisory;
  }
  return settings;
}

namespace {

// What doctor's version_rows check finds in these version rows, with the ledger beside them.
std::vector<DoctorFinding> version_row_findings(driver::Connection& connection,
                                                const Config& config,
                                                const script::ScriptDirectory& scripts,
                                                const std::vector<std::string>& rows) {
  runner::Ledger ledger(&connection, connection.dialect(), config.version_table_schema,
                        config.version_table);
  ops::doctor::Context context{connection, scripts, ledger, {}, {}, rows, {}, false, {}};
  context.version_table = config.version_table;
  context.version_table_schema = config.version_table_schema;
  std::vector<DoctorFinding> findings;
  ops::doctor::check_version_rows(context, findings);
  return findings;
}

}  // namespace

std::optional<Error> ahead_of_code(driver::Connection& connection, const Config& config,
                                   const script::ScriptDirectory& scripts,
                                   const std::vector<std::string>& rows) {
  if (std::all_of(rows.begin(), rows.end(), [&](const std::string& row) {
        // A row a squash replaced is known: the next upgrade adopts the squash.
        return scripts.map().find(row) != nullptr || scripts.squashes().replacing(row) != nullptr;
      })) {
    return std::nullopt;
  }
  const std::vector<DoctorFinding> findings =
      version_row_findings(connection, config, scripts, rows);
  for (const DoctorFinding& finding : findings) {
    if (finding.code == "unknown-revision") {
      return Error(ExitCode::failed, finding.message).state("nothing was run").next(finding.fix);
    }
  }
  return std::nullopt;
}

std::optional<Error> version_table_conflict(driver::Connection& connection, const Config& config,
                                            const script::ScriptDirectory& scripts,
                                            const std::vector<std::string>& rows,
                                            graph::Direction direction, bool purge) {
  const bool stamp = direction == graph::Direction::stamp;
  if (rows.size() == 1 || (stamp && (purge || rows.empty()))) {
    return std::nullopt;
  }
  const std::vector<DoctorFinding> findings =
      version_row_findings(connection, config, scripts, rows);
  for (const DoctorFinding& finding : findings) {
    if (finding.code == "version-table-lost" || finding.code == "row-below-row") {
      return Error(ExitCode::failed, finding.message)
          .explain(finding.code == "version-table-lost"
                       ? "the ledger keeps every run; `retort stamp` writes the version table "
                         "back without running any migration"
                       : "")
          .state("nothing was run; the database is as it was")
          .next(finding.fix);
    }
  }
  return std::nullopt;
}

Error target_error(const graph::TargetError& error, const std::string& target) {
  using Kind = graph::TargetError::Kind;
  const std::string candidates = base::join(error.candidates, ", ");
  switch (error.kind) {
    case Kind::multiple_heads:
      return Error(ExitCode::input, error.message)
          .explain("heads: " + candidates)
          .next("retort upgrade heads   (or join them: retort merge heads -m \"merge heads\")");
    case Kind::ambiguous:
      return Error(ExitCode::input, error.message)
          .explain("candidates: " + candidates)
          .next("give more characters of the revision id");
    case Kind::not_found:
    case Kind::syntax:
      return Error(ExitCode::input, error.message)
          .next(
              "retort history   (lists every revision; targets: head, heads, base, REV, "
              "REV+N, -N, LABEL@head)");
    case Kind::unknown_current:
      return Error(ExitCode::failed, error.message)
          .explain(
              "the database may be ahead of this code: a newer release applied revisions "
              "this checkout does not have")
          .next("run retort from the release that has " + candidates +
                ", or after a hand fix `retort stamp REV --purge`");
    case Kind::no_downgrade:
      return Error(ExitCode::input, error.message)
          .next("add a '-- retort:downgrade' section, or `retort stamp` past it");
    case Kind::relative_range:
    case Kind::not_a_downgrade:
    case Kind::not_an_upgrade:
      return Error(ExitCode::input, error.message).next("retort current   (then pick a target)");
  }
  return Error(ExitCode::input, fmt::format("target '{}': {}", target, error.message));
}

InfoBuilder::InfoBuilder(const script::ScriptDirectory& scripts) : m_scripts(scripts) {
  for (std::string& head : scripts.map().heads()) {
    m_heads.insert(std::move(head));
  }
  for (std::string& head : scripts.map().real_heads()) {
    m_real_heads.insert(std::move(head));
  }
  for (std::string& base_revision : scripts.map().bases()) {
    m_bases.insert(std::move(base_revision));
  }
}

RevisionInfo InfoBuilder::operator()(const std::string& revision) const {
  const script::ScriptDirectory& scripts = m_scripts;
  RevisionInfo info;
  info.revision = revision;
  const graph::RevisionMap& map = scripts.map();
  if (const graph::Revision* node = map.find(revision); node != nullptr) {
    info.down_revisions = node->down_revisions;
    info.depends_on = node->depends_on;
    info.message = node->message;
  } else if (const script::Migration* replaced = scripts.find(revision); replaced != nullptr) {
    // A revision a squash replaced (a database still at it): as its file says.
    info.down_revisions = replaced->revises;
    info.depends_on = replaced->depends_on;
    info.message = replaced->message;
  }
  info.branch_labels = map.branch_labels_of(revision);
  info.is_head = m_heads.contains(revision);
  info.is_effective_head = info.is_head && !m_real_heads.contains(revision);
  info.is_base = m_bases.contains(revision);
  info.is_branch_point = map.children(revision).size() > 1;
  info.is_merge_point = map.is_merge_point(revision);
  if (const script::Migration* migration = scripts.find(revision); migration != nullptr) {
    info.path = migration->display_path;
    info.transactional = migration->transactional;
    info.has_downgrade = migration->downgrade.has_value();
    if (migration->estimate) {
      info.estimate_ms = migration->estimate->count();
    }
  }
  return info;
}

}  // namespace retort::commands

namespace retort {

std::string format_bytes(std::int64_t bytes) { return base::format_bytes(bytes); }

std::string format_elapsed(std::int64_t milliseconds) {
  return base::format_elapsed(base::Millis{milliseconds});
}

std::string format_utc(std::chrono::system_clock::time_point instant) {
  return base::format_utc(instant);
}

std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> found = base::nearest(word, candidates);
  // base::nearest allows two edits to any word; in a four-letter word that would make "edit"
  // a typo of "init".
  if (found && 2 * base::edit_distance(word, *found) >= word.size()) {
    return std::nullopt;
  }
  return found;
}

}  // namespace retort
