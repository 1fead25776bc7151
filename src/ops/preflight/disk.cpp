// preflight: free disk against the tables the pending steps rewrite. A rewrite (ALTER COLUMN ...
// TYPE, VACUUM FULL, ...: sql/rewrite.hpp) writes a second copy of the table and its indexes,
// and WAL about as large, before the old copy goes; a server whose disk fills up mid-rewrite
// stops for everyone. PostgreSQL has no SQL function for free disk, so the free bytes come from
// [retort.preflight] free_disk_command, else statvfs() of the data directory when the server
// runs on this machine; otherwise they are not known, which warns.
#include "base/text.hpp"
#include "base/url.hpp"
#include "ops/backup/program.hpp"
#include "ops/preflight/preflight.hpp"
#include "retort/error.hpp"
#include "sql/rewrite.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/statvfs.h>
#include <vector>

namespace retort::ops::preflight {

namespace {

// One copy a pending statement makes of a relation that exists now.
struct Copy {
  std::string revision;
  std::string what;      // "ALTER COLUMN ... TYPE"
  std::string relation;  // as the catalog names it (regclass), "ops.accounts"
  bool every_table = false;
  std::int64_t bytes = 0;
};

// The free bytes of the server's data directory, and where they were read; or why not.
struct FreeDisk {
  std::optional<std::int64_t> bytes;
  std::string source;   // "free_disk_command", "statvfs of /var/lib/postgresql/15/main"
  std::string problem;  // bytes unknown: why
  bool failed = false;  // free_disk_command is set but did not say
};

// The size a copy needs room for: the relation with its indexes and TOAST (all partitions of a
// partitioned one, whose own size is 0), or only the indexes a REINDEX TABLE rebuilds.
std::string_view size_expression(sql::Copied copied) {
  return copied == sql::Copied::indexes
             ? "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_indexes_size(t.relid)), "
               "0) FROM pg_partition_tree(c.oid) t) ELSE pg_indexes_size(c.oid) END"
             : "CASE WHEN c.relkind IN ('p', 'I') THEN (SELECT "
               "coalesce(sum(pg_total_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) "
               "t) ELSE pg_total_relation_size(c.oid) END";
}

// The relation a rewrite copies as it is now, with its size; nullopt when it does not exist
// (an earlier pending step creates it, so it is empty when rewritten).
std::optional<Copy> measure(driver::Connection& db, const sql::Rewrite& rewrite) {
  driver::Rows rows;
  if (rewrite.table.empty()) {
    // VACUUM FULL or CLUSTER of every table: one table at a time, each in its own transaction,
    // so the largest is what needs room.
    rows = db.query(
        "SELECT c.oid::regclass::text, pg_total_relation_size(c.oid)::text FROM pg_class c "
        "WHERE c.relkind IN ('r', 'm') ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 1");
  } else {
    const std::size_t dot = rewrite.table.rfind('.');
    const std::array<driver::Value, 2> params{
        dot == std::string::npos ? std::string() : rewrite.table.substr(0, dot),
        dot == std::string::npos ? rewrite.table : rewrite.table.substr(dot + 1)};
    rows = db.query(fmt::format("SELECT c.oid::regclass::text, ({})::text FROM pg_class c JOIN "
                                "pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $2 "
                                "AND CASE WHEN $1 = '' THEN pg_table_is_visible(c.oid) ELSE "
                                "n.nspname = $1 END LIMIT 1",
                                size_expression(rewrite.copied)),
                    params);
  }
  if (rows.empty()) {
    return std::nullopt;
  }
  const auto& row = rows.rows.front();
  Copy copy;
  copy.what = rewrite.what;
  copy.relation = row[0].value_or(rewrite.table);
  copy.every_table = rewrite.table.empty();
  copy.bytes = row[1] ? std::atoll(row[1]->c_str()) : 0;
  return copy;
}

// Every copy the plan's statements make, in the order they run.
std::vector<Copy> copies(Context& context, std::size_t& rewrites_seen) {
  std::vector<Copy> out;
  each_statement(context.scripts, context.plan, base::Dialect::postgres,
                 [&](const graph::Step& step, const script::Statement& statement) {
                   for (const sql::Rewrite& rewrite : sql::rewrites(statement.sql)) {
                     ++rewrites_seen;
                     if (std::optional<Copy> copy = measure(context.db, rewrite)) {
                       copy->revision = step.revision;
                       out.push_back(std::move(*copy));
                     }
                   }
                 });
  return out;
}

// The last line of what the command printed that is not blank.
std::string last_line(std::string_view output) {
  std::string_view rest = base::trim(output);
  const std::size_t newline = rest.find_last_of('\n');
  return std::string(
      base::trim(newline == std::string_view::npos ? rest : rest.substr(newline + 1)));
}

FreeDisk from_command(const std::string& command) {
  FreeDisk free;
  free.source = "free_disk_command";
  backup::ProgramResult ran;
  try {
    ran = backup::run_program({"/bin/sh", "-c", command}, {});
  } catch (const Error& error) {
    free.failed = true;
    free.problem = fmt::format("free_disk_command could not be run: {}", error.what());
    return free;
  }
  // What it printed may be long, or hold what the shell expanded: its last line, redacted.
  std::string line = base::redact_url(last_line(ran.output));
  if (line.size() > 200) {
    line = line.substr(0, 200) + "...";
  }
  if (ran.exit_code != 0) {
    free.failed = true;
    free.problem = fmt::format("free_disk_command {}{}", backup::ending(ran),
                               line.empty() ? std::string() : ": " + line);
    return free;
  }
  if (line.empty() || line.size() > 18 ||
      line.find_first_not_of("0123456789") != std::string::npos) {
    free.failed = true;
    free.problem =
        line.empty() ? std::string("free_disk_command printed nothing")
                     : fmt::format("free_disk_command printed \"{}\", not a number of bytes", line);
    return free;
  }
  free.bytes = std::stoll(line);
  return free;
}

// Whether the URL reaches a server on this machine: a socket directory, or the loopback.
bool local_host(const Config& config) {
  const auto url = base::parse_database_url(config.url);
  if (!url) {
    return false;
  }
  std::string host = url->host;
  if (const auto param = url->params.find("host"); host.empty() && param != url->params.end()) {
    host = param->second;
  }
  if (const char* env = std::getenv("PGHOST"); host.empty() && env != nullptr) {
    host = env;
  }
  return host.empty() || host.starts_with('/') || host == "localhost" || host == "127.0.0.1" ||
         host == "::1";
}

// statvfs() of the data directory, when the server runs here: the URL says so, the server sees
// the connection as local too (not a pooler here in front of a server elsewhere), and the
// directory it names exists on this machine.
FreeDisk from_data_directory(Context& context) {
  FreeDisk free;
  free.problem =
      "the server's free disk cannot be observed from here (PostgreSQL has no SQL function "
      "for it, and the server is not on this machine)";
  if (!local_host(context.config)) {
    return free;
  }
  const driver::Rows rows = context.db.query(
      "SELECT CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE') THEN "
      "current_setting('data_directory') END, coalesce(host(inet_server_addr()) IN "
      "('127.0.0.1', '::1'), true)::text");
  const auto& row = rows.rows.at(0);
  if (row[1].value_or("false") != "true") {
    return free;
  }
  if (!row[0]) {
    free.problem =
        "the server's free disk cannot be observed: this role may not read data_directory "
        "(pg_read_all_settings)";
    return free;
  }
  const std::string directory = *row[0];
  std::error_code ec;
  struct statvfs stats {};
  if (!std::filesystem::is_directory(directory, ec) || ::statvfs(directory.c_str(), &stats) != 0) {
    free.problem = fmt::format(
        "the server's free disk cannot be observed: its data directory {} is not on this "
        "machine",
        directory);
    return free;
  }
  free.problem.clear();
  // f_bavail: what an unprivileged writer (the server) may still use, not the root reserve.
  free.bytes =
      static_cast<std::int64_t>(stats.f_bavail) * static_cast<std::int64_t>(stats.f_frsize);
  free.source = "statvfs of " + directory;
  return free;
}

// "accounts 1.2 GiB (b2: ALTER COLUMN ... TYPE)".
std::string copy_text(const Copy& copy) {
  const std::string relation =
      copy.every_table ? "every table, the largest being " + copy.relation : copy.relation;
  return fmt::format("{} {} ({}: {})", relation, base::format_bytes(copy.bytes), copy.revision,
                     copy.what);
}

}  // namespace

void check_disk(Context& context, Checks& checks) {
  std::size_t rewrites_seen = 0;
  const std::vector<Copy> planned = copies(context, rewrites_seen);
  if (rewrites_seen == 0) {
    checks.push_back(
        {"disk", CheckStatus::pass,
         context.plan.steps.empty() ? "nothing to run" : "no pending step rewrites a table", ""});
    return;
  }
  if (planned.empty()) {
    checks.push_back({"disk", CheckStatus::pass,
                      "the tables the pending steps rewrite do not exist yet (an earlier step "
                      "creates them): nothing to copy",
                      ""});
    return;
  }
  // The sum, not the largest: the old copies a transaction's statements leave go only at
  // commit, and the WAL each rewrite writes stays until a checkpoint recycles it (longer with
  // archiving or a replication slot).
  std::int64_t needed = 0;
  std::vector<std::string> listed;
  for (const Copy& copy : planned) {
    needed += copy.bytes;
    listed.push_back(copy_text(copy));
  }
  const std::string rewritten = fmt::format("the pending steps rewrite {}: about {} needed",
                                            base::join(listed, ", "), base::format_bytes(needed));
  const std::string& command = context.config.preflight.free_disk_command;
  const FreeDisk free = command.empty() ? from_data_directory(context) : from_command(command);
  if (!free.bytes) {
    checks.push_back(
        {"disk", free.failed ? CheckStatus::fail : CheckStatus::warn,
         fmt::format("{}; {}", rewritten, free.problem),
         free.failed
             ? "make [retort.preflight] free_disk_command print the free bytes of the server's "
               "data directory as its last line, and exit 0"
             : "set [retort.preflight] free_disk_command to a command that prints the free bytes "
               "of the server's data directory, e.g. \"kubectl exec db-0 -- df --output=avail "
               "-B1 /var/lib/postgresql/data | tail -1\""});
    return;
  }
  const std::string message =
      fmt::format("{}, {} free ({})", rewritten, base::format_bytes(*free.bytes), free.source);
  const std::string fix =
      "free disk on the server (or grow its volume) before the run, or rewrite with the "
      "expand/contract pattern instead: add a new column, backfill it in batches, then swap it "
      "in";
  if (*free.bytes < needed) {
    checks.push_back({"disk", CheckStatus::fail,
                      message + ": not enough for the copy; the server stops when its disk "
                                "fills up",
                      fix});
    return;
  }
  if (*free.bytes < 2 * needed) {
    checks.push_back({"disk", CheckStatus::warn,
                      message + ": little headroom left for the WAL the rewrite writes", fix});
    return;
  }
  checks.push_back({"disk", CheckStatus::pass, message, ""});
}

}  // namespace retort::ops::preflight
