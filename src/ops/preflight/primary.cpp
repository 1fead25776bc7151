// preflight: the run writes, so its URL must reach a server that accepts writes. A hot standby
// (pg_is_in_recovery()) refuses every write, and so does a session that is read-only by default
// (default_transaction_read_only, set for the server, the database or the role): the run would
// fail at its first statement, where preflight on a standby would otherwise pass.
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

namespace retort::ops::preflight {

void check_primary(Context& context, Checks& checks) {
  const driver::Rows rows = context.db.query(
      "SELECT pg_is_in_recovery()::text, current_setting('default_transaction_read_only'), "
      "current_database(), current_user");
  const auto& row = rows.rows.at(0);
  const std::string database = row[2].value_or("?");
  if (row[0].value_or("") == "true") {
    checks.push_back(
        {"primary", CheckStatus::fail,
         fmt::format("database {} is served by a hot standby (pg_is_in_recovery() is true): it "
                     "refuses every write, so the run would fail at its first",
                     database),
         "point the URL at the primary; the standby gets the migrated schema by replication"});
    return;
  }
  if (row[1].value_or("") == "on") {
    const std::string role = row[3].value_or("?");
    checks.push_back(
        {"primary", CheckStatus::fail,
         fmt::format("sessions of role {} on database {} are read-only "
                     "(default_transaction_read_only = on), so the run would fail at its first "
                     "write",
                     role, database),
         fmt::format("ALTER ROLE {} SET default_transaction_read_only = off (or the database's "
                     "or server's setting, wherever it is on), or point the URL at the primary",
                     role)});
    return;
  }
  checks.push_back({"primary", CheckStatus::pass,
                    fmt::format("database {} accepts writes (not in recovery)", database), ""});
}

}  // namespace retort::ops::preflight
