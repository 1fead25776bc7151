// Loading a declared schema into a throwaway database: every file's statements in file-name
// order, a statement whose dependency comes later tried again after the rest.
#include "base/text.hpp"
#include "ops/scratch/scratch.hpp"
#include "retort/error.hpp"
#include "sql/splitter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace retort::ops::scratch {

namespace {

namespace fs = std::filesystem;

struct Statement {
  std::string file;  // relative to the directory, for messages
  int line = 0;
  std::string sql;
};

// The server said that something the statement names does not exist (yet).
bool missing_dependency(const driver::DatabaseError& error) {
  const ServerMessage& message = error.message();
  static constexpr std::string_view k_missing[] = {
      "42P01",  // undefined_table
      "42704",  // undefined_object: a type, a collation
      "3F000",  // invalid_schema_name
      "42883",  // undefined_function
      "42703",  // undefined_column: one a later ALTER TABLE adds
      "42830",  // invalid_foreign_key: the referenced key is added later
  };
  if (!message.sqlstate.empty()) {
    return std::find(std::begin(k_missing), std::end(k_missing), message.sqlstate) !=
           std::end(k_missing);
  }
  // SQLite has no SQLSTATE; its words are stable.
  return message.message.starts_with("no such table") ||
         message.message.starts_with("no such view") ||
         message.message.starts_with("no such function");
}

std::vector<fs::path> sql_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ExitCode::input,
                fmt::format("the declared schema directory {} does not exist", dir.string()))
        .explain("[retort.schema] dir names SQL files that build the wanted schema from nothing")
        .next(fmt::format("retort schema dump --split {} (to start it from a database)",
                          dir.string()));
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".sql") {
      files.push_back(fs::relative(it->path(), dir));
    }
  }
  if (ec) {
    throw Error(ExitCode::input, fmt::format("cannot read the declared schema directory {}: {}",
                                             dir.string(), ec.message()));
  }
  if (files.empty()) {
    throw Error(ExitCode::input,
                fmt::format("the declared schema directory {} has no .sql file", dir.string()))
        .next(fmt::format("retort schema dump --split {} (to start it from a database)",
                          dir.string()));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  return files;
}

std::vector<Statement> statements_of(const fs::path& dir, base::Dialect dialect) {
  std::vector<Statement> out;
  for (const fs::path& relative : sql_files(dir)) {
    std::ifstream in(dir / relative, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const std::string sql = text.str();
    const std::string shown = (dir.filename() / relative).generic_string();
    const sql::SplitResult spans = sql::split(sql, dialect);
    if (!spans) {
      throw Error(ExitCode::input,
                  fmt::format("the declared schema does not parse: {}", spans.error().message))
          .at({shown, base::line_of_offset(sql, spans.error().offset), 0});
    }
    for (const sql::StatementSpan& span : *spans) {
      out.push_back(
          {shown, base::line_of_offset(sql, span.offset), sql.substr(span.offset, span.length)});
    }
  }
  return out;
}

Error statement_error(const Statement& statement, const driver::DatabaseError& error,
                      bool never_created) {
  Error out(ExitCode::failed,
            never_created ? "the declared schema names something none of its files creates"
                          : "the declared schema does not load: the server rejected a statement");
  out.at({statement.file, statement.line, 0});
  out.server_message = error.message();
  out.state("nothing was changed in the target database; the throwaway database is dropped");
  out.next(fmt::format("fix {}:{} and run the command again", statement.file, statement.line));
  return out;
}

}  // namespace

void load_declared(driver::Connection& connection, const fs::path& dir,
                   const std::function<bool()>& cancelled) {
  std::vector<Statement> pending = statements_of(dir, connection.dialect());
  if (connection.dialect() == base::Dialect::postgres) {
    connection.execute("SET check_function_bodies = off");
  }
  while (!pending.empty()) {
    std::vector<Statement> deferred;
    std::optional<driver::DatabaseError> first_missing;
    for (Statement& statement : pending) {
      if (cancelled && cancelled()) {
        throw Error(ExitCode::failed, "cancelled while the declared schema was being built")
            .state(
                "nothing was changed in the target database; the throwaway database is "
                "dropped");
      }
      try {
        connection.execute(statement.sql);
      } catch (const driver::DatabaseError& error) {
        if (error.kind() == driver::DatabaseError::Kind::cancelled) {
          throw Error(ExitCode::failed, "cancelled while the declared schema was being built")
              .state(
                  "nothing was changed in the target database; the throwaway database is "
                  "dropped");
        }
        if (error.kind() != driver::DatabaseError::Kind::statement || !missing_dependency(error)) {
          throw statement_error(statement, error, false);
        }
        if (!first_missing) {
          first_missing = error;
        }
        deferred.push_back(std::move(statement));
      }
    }
    if (deferred.size() == pending.size()) {
      throw statement_error(deferred.front(), *first_missing, true);
    }
    pending = std::move(deferred);
  }
}

}  // namespace retort::ops::scratch
