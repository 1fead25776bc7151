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

// The command of a statement that works on rows rather than on the schema, as users name it:
// INSERT, UPDATE, DELETE, MERGE, COPY, DO, CALL, EXECUTE, TRUNCATE, SELECT (which may call a
// function that writes: setval, a seeding function); SQLite: INSERT, REPLACE, UPDATE, DELETE,
// SELECT, WITH. Empty for schema statements and for one that does not parse. What a squash,
// which rebuilds the schema alone, must not drop silently.
[[nodiscard]] std::string data_command(std::string_view statement, base::Dialect dialect);

}  // namespace retort::sql
