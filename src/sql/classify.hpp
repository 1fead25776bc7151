// What a statement does to the transaction around it: transaction control that retort must
// own, and statements the database refuses inside a transaction block.
#pragma once

#include "sql/lexer.hpp"

#include <string>
#include <string_view>

namespace retort::sql {

struct StatementTraits {
  // BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION, COMMIT
  // PREPARED, ROLLBACK PREPARED. SAVEPOINT, RELEASE and ROLLBACK TO stay inside the
  // transaction and are allowed.
  bool transaction_control = false;
  // PostgreSQL: CREATE/DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, REINDEX DATABASE or
  // SYSTEM, VACUUM, ALTER SYSTEM, CREATE/DROP DATABASE, CREATE/DROP TABLESPACE, DETACH
  // PARTITION ... CONCURRENTLY. SQLite: VACUUM, ATTACH, DETACH.
  bool needs_no_transaction = false;
  // The command as users name it ("CREATE INDEX CONCURRENTLY", "COMMIT"), for messages; empty
  // when neither flag is set.
  std::string command;
};

// Classifies one statement (as split_postgres/split_sqlite return it). PostgreSQL statements
// are parsed with libpg_query; one that does not parse is reported as neither. SQLite
// statements are classified by their leading keywords.
[[nodiscard]] StatementTraits classify(std::string_view statement, base::Dialect dialect);

}  // namespace retort::sql
